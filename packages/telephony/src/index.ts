export {
  ProviderProtocolError,
  type ProviderProtocolErrorCode,
  SignatureError,
  type SignatureFailure,
} from './errors.ts';
export {
  assertExotelBasicAuth,
  EXOTEL_DEFAULT_SAMPLE_RATE_HZ,
  EXOTEL_SAMPLE_RATES,
  type ExotelBasicAuthCheck,
  type ExotelSampleRateHz,
  ExotelSerializer,
  type ExotelSerializerOptions,
  exotelSampleRateFromQuery,
  type VoicebotUrlAnswerOptions,
  validateExotelBasicAuth,
  voicebotUrlAnswer,
} from './exotel/index.ts';
export { type PublicRequestUrlOptions, publicRequestUrl } from './public-url.ts';
export {
  assertTwilioSignature,
  type ConnectStreamTwimlOptions,
  connectStreamTwiml,
  sayAndHangupTwiml,
  TwilioSerializer,
  type TwilioSignatureCheck,
  validateTwilioSignature,
} from './twilio/index.ts';
export type { MediaFormat, ProviderEvent, ProviderName, TelephonySerializer } from './types.ts';
export {
  assertVobizSignature,
  VOBIZ_CONTENT_TYPES,
  VOBIZ_DEFAULT_CONTENT_TYPE,
  type VobizContentType,
  VobizSerializer,
  type VobizSerializerOptions,
  type VobizSignatureCheck,
  type VobizStreamXmlOptions,
  validateVobizSignature,
  vobizSpeakAndHangupXml,
  vobizStreamXml,
} from './vobiz/index.ts';
