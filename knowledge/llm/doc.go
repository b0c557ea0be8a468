// Package llm owns helpbot's optional LLM layer on an OpenAI-compatible API:
// KB-grounded, cited and validated answers, case briefs, and a re-ranker.
//
// Everything sent to the provider leaves through one door, Model.outbound,
// which redacts secrets and personal data (bot/screen). Sensitive topics are
// never sent. Output is untrusted text: it is checked (citations of articles
// actually retrieved, no links outside the KB, no mentions, no images, a
// length cap, valid UTF-8) and anything that fails, times out or errors
// falls back to the extractive KB answer, so the bot is never worse than
// the KB alone. The model decides nothing: escalation, claims and who is
// notified stay in code. See PRIVACY.md and docs/LLM.md.
package llm
