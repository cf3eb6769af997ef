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
export { type VobizStreamXmlOptions, vobizSpeakAndHangupXml, vobizStreamXml } from './xml.ts';
