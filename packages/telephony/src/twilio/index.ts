export { TwilioSerializer } from './serializer.ts';
export { assertTwilioSignature, type TwilioSignatureCheck, validateTwilioSignature } from './signature.ts';
export { type ConnectStreamTwimlOptions, connectStreamTwiml, sayAndHangupTwiml } from './twiml.ts';
