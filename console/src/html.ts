// htm bound to Preact: templates become Preact elements, and every interpolated value is a text
// node or an attribute, never parsed as HTML. The console has no innerHTML anywhere.
export { html } from 'htm/preact';
