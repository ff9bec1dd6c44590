// Floor: one AWS SDK v3 client and nothing else, as every function that calls AWS needs at least one.
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';

const autoScaling = new AutoScalingClient({});

export const handler = async (): Promise<{ client: string }> =>
  Promise.resolve({ client: autoScaling.constructor.name });
