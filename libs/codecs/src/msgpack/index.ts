export { decodeMsgpack, type MsgpackLimits } from './decode.ts';
export { encodeMsgpack, MsgpackEncoder } from './encode.ts';
