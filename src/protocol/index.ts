/**
 * Protocol codecs: the Open Inference Protocol in JSON and Triton's binary tensor extension.
 * GraphServer calls decodeBody → isTensorRequest → decodeInferRequest on the way in, and
 * looksLikeTensorList → checkOutputTensors → encodeInferResponse on the way out.
 */
export { decodeBody } from './body';
export {
  OffThreadJsonDecoder,
  kDefaultOffThreadJsonOptions,
  OFF_THREAD_JSON_ENV,
  type OffThreadJsonOptions,
} from './off-thread-json';
export { isTensorRequest, decodeInferRequest, checkShape, MAX_ELEMENTS } from './request';
export {
  isTensorList,
  looksLikeTensorList,
  checkOutputTensors,
  encodeInferResponse,
  type EncodedResponse,
} from './response';
export { tensorFromNested } from './nested';
export { elementsFromJson, elementsToJson } from './elements';
export { elementsFromBinary, elementsToBinary, HEADER_LENGTH } from './binary';
export { parseJson } from './json-text';
export type * from './types';
