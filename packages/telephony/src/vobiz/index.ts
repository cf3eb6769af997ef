export { VOBIZ_API_BASE_URL, VobizCallControl, type VobizCallControlOptions } from './call-control.ts';
export {
  VOBIZ_CONTENT_TYPES,
  VOBIZ_DEFAULT_CONTENT_TYPE,
  type VobizContentType,
} from './content-type.ts';
export { VobizSerializer, type VobizSerializerOptions } from './serializer.ts';
export {
  assertVobizSignature,
  type VobizSignatureCheck,
  validateVobizSignature,
} from './signature.ts';
export { parseVobizStatusCallback } from './status-callback.ts';
export {
  type VobizDialXmlOptions,
  type VobizStreamXmlOptions,
  vobizDialXml,
  vobizHangupXml,
  vobizSpeakAndHangupXml,
  vobizStreamXml,
} from './xml.ts';
