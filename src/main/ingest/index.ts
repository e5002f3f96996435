// The capture library the chat platform imports (package.json "exports": "./ingest").
export { UisClient, type ProcessMessageInput, type ToolCall } from './client.js';
export { InvalidEventError, identifyUser, trackEvents, type TrackResult } from './capture.js';
export { EventInput, UserInput, StoredEvent, toUserContextMessage, type UserContextMessage } from '../../shared/event.js';
