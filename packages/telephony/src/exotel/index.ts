export { type VoicebotUrlAnswerOptions, voicebotStreamUrl, voicebotUrlAnswer } from './answer.ts';
export { assertExotelBasicAuth, type ExotelBasicAuthCheck, validateExotelBasicAuth } from './basic-auth.ts';
export { EXOTEL_API_BASE_URL, ExotelCallControl, type ExotelCallControlOptions } from './call-control.ts';
export {
  EXOTEL_DEFAULT_SAMPLE_RATE_HZ,
  EXOTEL_SAMPLE_RATES,
  type ExotelSampleRateHz,
  exotelSampleRateFromQuery,
} from './sample-rate.ts';
export { ExotelSerializer, type ExotelSerializerOptions } from './serializer.ts';
export { parseExotelStatusCallback } from './status-callback.ts';
