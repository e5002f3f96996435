import { analyticsChannels } from './analytics.js';
import { appChannels, appTopics } from './app.js';
import { liveChannels, liveTopics } from './live.js';
import { workspaceChannels, workspaceTopics } from './workspace.js';
import { reportChannels } from './reports.js';
import { intelligenceChannels } from './intelligence.js';
import { llmChannels } from './llm.js';

// The merged contract: one line per feature (import above, spread below). Add your feature's channels and topics here.
export const contract = {
  ...liveChannels,
  ...appChannels,
  ...analyticsChannels,
  ...workspaceChannels,
  ...reportChannels,
  ...intelligenceChannels,
  ...llmChannels,
};
export const topics = {
  ...liveTopics,
  ...appTopics,
  ...workspaceTopics,
};
export type Contract = typeof contract;
export type Topics = typeof topics;
export type ChannelName = keyof Contract & string;
export type TopicName = keyof Topics & string;
