export {
  FakeExotelApi,
  type FakeExotelApiOptions,
  type FakeExotelCall,
  type FakeExotelCallStatus,
} from './fake-exotel-api.ts';
export type { CallbackResponse, FakeApiRequest, FormBody, ScriptedReply } from './fake-http.ts';
export {
  FakeTwilioApi,
  type FakeTwilioApiOptions,
  type FakeTwilioCall,
  type FakeTwilioCallStatus,
} from './fake-twilio-api.ts';
export {
  FakeVobizApi,
  type FakeVobizApiOptions,
  type FakeVobizCall,
  type FakeVobizCallStatus,
} from './fake-vobiz-api.ts';
