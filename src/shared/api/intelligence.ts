import { z } from 'zod';
import { defineChannels } from '../contract.js';
import { ConversationAnalysis, IntelligenceOverview } from '../intelligence.js';
import { Filters } from '../metrics.js';

/**
 * The Intelligence page: analysis runs (a job), the overview, Ask, and what was sent to the LLM. The page passes the
 * global filters; the intelligence channels use their date range (conversations started in it).
 */
const Range = Filters;

export const AnalysisEstimateOut = z.object({
  source: z.enum(['local', 'llm']),
  model: z.string(),
  conversations: z.number().int(),
  cached: z.number().int(),
  toAnalyse: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number().nullable(),
});

export const intelligenceChannels = defineChannels({
  'intelligence.overview': {
    description: 'Intent clusters, feature requests, blockers, satisfaction and conversations worth reading, from the latest analyses of the active workspace.',
    input: z.object({ filters: Range.default({}) }).strict(),
    output: IntelligenceOverview,
  },
  'intelligence.estimate': {
    description: 'What an analysis run would send and cost (tokens, USD) without sending anything.',
    input: z.object({ source: z.enum(['auto', 'local', 'llm']).default('auto'), filters: Range.default({}) }).strict(),
    output: AnalysisEstimateOut,
  },
  'intelligence.run': {
    description: 'Start the conversation analysis (LLM or local analyzer, cached and resumable) followed by intent clustering; a job with progress and cancel.',
    input: z.object({ source: z.enum(['auto', 'local', 'llm']).default('auto'), redact: z.boolean().default(true), filters: Range.default({}) }).strict(),
    output: z.object({ jobId: z.string() }),
  },
  'intelligence.ask': {
    description:
      "Start answering a founder's question with read-only SQL on the snapshot through LLM tool calls: a job (progress, cancel) whose result is an AskResult (the SQL, the capped result tables, a number check).",
    input: z.object({ question: z.string().trim().min(3, 'question: at least 3 characters').max(2000) }).strict(),
    output: z.object({ jobId: z.string() }),
  },
  'intelligence.sent': {
    description: 'The latest payloads sent to the LLM (after redaction), so a founder can inspect what left the machine.',
    input: z.object({ limit: z.number().int().min(1).max(200).default(20) }).strict(),
    output: z.object({
      entries: z.array(z.object({ sentAt: z.string(), purpose: z.string(), conversationId: z.string().nullable(), payload: z.string(), redactions: z.record(z.string(), z.number()) })),
    }),
  },
  'intelligence.conversation': {
    description: 'One conversation for click-through: its messages and tool results, and its stored analysis.',
    input: z.object({ conversationId: z.string().min(1).max(100) }).strict(),
    output: z.object({
      conversationId: z.string(),
      userId: z.string(),
      completionStatus: z.string().nullable(),
      events: z.array(z.object({ ts: z.string(), eventType: z.string().nullable(), role: z.string().nullable(), message: z.string().nullable(), toolName: z.string().nullable(), success: z.boolean().nullable(), errorType: z.string().nullable() })),
      analysis: ConversationAnalysis.extend({ source: z.string() }).nullable(),
    }),
  },
});
