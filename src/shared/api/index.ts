// The merged contract: one line per feature. Add your feature's channels and topics here.
export const contract = {};
export const topics = {};
export type Contract = typeof contract;
export type Topics = typeof topics;
