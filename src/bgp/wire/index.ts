// The BGP wire codec: pure, no I/O. Decoding never throws; it returns a result that names the
// RFC's answer to malformed input. Encoding throws RangeError only for values a caller built wrong.

export * from './types.js';
export { decodeMessage, decodeChecked, encodeMessage, decodePathAttributes, checkHeader, headerOf, headerLength, headerType, makeContext, shutdownData } from './message.js';
export { HEADER_LEN, MAX_MESSAGE, MAX_EXTENDED_MESSAGE } from './message.js';
export { mergeAsPath, asPathLength, AS_TRANS } from './aspath.js';
export { endOfRib, findAttr } from './update.js';
export { ERR, HEADER_SUB, OPEN_SUB, UPDATE_SUB, CEASE_SUB, errorText, CodecError } from './errors.js';
export { ipv4ToText, ipv6ToText, prefixToText, parseIpv4, parseIpv6, hexDigit } from './addr.js';
export { decodeNlri, decodeNlriKeys, encodeNlri, NlriKeys, KEY_STRIDE_V4, KEY_STRIDE_V6 } from './nlri.js';
export { nlriCount, wireKeys } from './list-fields.js';
export { ipv4WordText, ipv6WordsText } from './addr.js';
export { FLAG_OPTIONAL, FLAG_TRANSITIVE, FLAG_PARTIAL, FLAG_EXTENDED_LENGTH } from './attributes.js';
export { Reader, Truncated, toHex, fromHex } from './reader.js';
export { Writer } from './writer.js';
export { numberList } from './number-list.js';
