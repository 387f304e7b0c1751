/** Remote steps (issue 5); importing this registers '$remote', 'RemoteStep' and 'BatchHttpRequests'. */
export { RemoteStep, type RemoteStepOptions } from './remote-step';
export { BatchHttpRequests, type BatchHttpRequestsOptions } from './batch-http';
export { HTTP_STEP_DEFAULTS, type HttpStepOptions, type UrlScope } from './options';
export { backoffSeconds } from './http-client';
