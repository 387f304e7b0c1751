/** Streams (Kafka, Redis Streams): the layer under queues, stream triggers and the error and tracking streams. */
export { StreamPool, streamOptionsOf } from './pool';
export { eventToMessage, messageToEnvelope, type EventEnvelope } from './envelope';
export { isStreamUrl, parseStreamUrl, redactUrl, type StreamAddress, type StreamKind } from './url';
export {
  kDefaultStreamOptions,
  type ConsumerOptions,
  type InMessage,
  type OutMessage,
  type StreamConsumer,
  type StreamOptions,
  type StreamProducer,
} from './types';
