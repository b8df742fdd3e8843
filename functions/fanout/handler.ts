// Lambda entry: events-queue batch → deliveries, with partial batch failures.
import { fanoutConfig } from '../../shared/config.ts';
import { createFanout } from '../../shared/services/delivery/fanout.ts';
import { createFanoutHandler, fanoutDeps } from './app.ts';

export const handler = createFanoutHandler(createFanout(fanoutDeps(fanoutConfig(process.env))));
