export {
  type CallControl,
  type CallStatusUpdate,
  FINAL_CALL_STATUSES,
  type HangupResult,
  type OutboundCallRequest,
  type PlacedCall,
  type ProviderCallStatus,
} from './call-control.ts';
export {
  ProviderApiError,
  type ProviderApiOperation,
  ProviderProtocolError,
  type ProviderProtocolErrorCode,
  SignatureError,
  type SignatureFailure,
} from './errors.ts';
export {
  assertExotelBasicAuth,
  EXOTEL_API_BASE_URL,
  EXOTEL_DEFAULT_SAMPLE_RATE_HZ,
  EXOTEL_SAMPLE_RATES,
  type ExotelBasicAuthCheck,
  ExotelCallControl,
  type ExotelCallControlOptions,
  type ExotelSampleRateHz,
  ExotelSerializer,
  type ExotelSerializerOptions,
  exotelSampleRateFromQuery,
  parseExotelStatusCallback,
  type VoicebotUrlAnswerOptions,
  validateExotelBasicAuth,
  voicebotStreamUrl,
  voicebotUrlAnswer,
} from './exotel/index.ts';
export { jsonNestsDeeperThan } from './json-depth.ts';
export { type PublicRequestUrlOptions, publicRequestUrl } from './public-url.ts';
export {
  assertTwilioSignature,
  type ConnectStreamTwimlOptions,
  connectStreamTwiml,
  parseTwilioStatusCallback,
  rejectTwiml,
  sayAndHangupTwiml,
  TwilioCallControl,
  type TwilioCallControlOptions,
  TwilioSerializer,
  type TwilioSignatureCheck,
  validateTwilioSignature,
} from './twilio/index.ts';
export type { MediaFormat, ProviderEvent, ProviderName, TelephonySerializer } from './types.ts';
export {
  assertVobizSignature,
  parseVobizStatusCallback,
  VOBIZ_API_BASE_URL,
  VOBIZ_CONTENT_TYPES,
  VOBIZ_DEFAULT_CONTENT_TYPE,
  VobizCallControl,
  type VobizCallControlOptions,
  type VobizContentType,
  VobizSerializer,
  type VobizSerializerOptions,
  type VobizSignatureCheck,
  type VobizStreamXmlOptions,
  validateVobizSignature,
  vobizHangupXml,
  vobizSpeakAndHangupXml,
  vobizStreamXml,
} from './vobiz/index.ts';
