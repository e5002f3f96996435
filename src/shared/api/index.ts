import { appChannels, appTopics } from './app.js';

// The merged contract: one line per feature. Add your feature's channels and topics here.
export const contract = { ...appChannels };
export const topics = { ...appTopics };
export type Contract = typeof contract;
export type Topics = typeof topics;
export type ChannelName = keyof Contract & string;
export type TopicName = keyof Topics & string;
