export { TwilioCallControl, type TwilioCallControlOptions } from './call-control.ts';
export { TwilioSerializer } from './serializer.ts';
export { assertTwilioSignature, type TwilioSignatureCheck, validateTwilioSignature } from './signature.ts';
export { parseTwilioStatusCallback } from './status-callback.ts';
export {
  type ConnectStreamTwimlOptions,
  connectStreamTwiml,
  type DialTwimlOptions,
  dialTwiml,
  rejectTwiml,
  sayAndHangupTwiml,
} from './twiml.ts';
