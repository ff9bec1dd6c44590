import 'aws-sdk-client-mock-jest';
import './setup-quiet-metrics';
