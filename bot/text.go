package bot

// What the bot says. Kept together so the voice stays consistent: short,
// plain, and always saying what happens next.
const (
	textHelp = "Hi! I'm the IT help bot. Tell me what's wrong in your own words, for example \"the projector says no signal\" or \"I'm locked out of my account\".\n" +
		"I'll answer from the district's help articles, and if that doesn't fix it I'll pass it to a tech with everything you've told me.\n" +
		"Say \"get a tech\" at any time to reach a person, or \"status\" to see your open requests."
	textSecretRemoved    = "I removed what looked like a password or secret from your message and didn't keep it. Please never share passwords in chat, not even with IT. If you think someone has seen it, change it now."
	textGlad             = "Great, glad that fixed it! Ask me any time."
	turnFixed            = "(that fixed it)" // the transcript's line for the button
	textGladNoCase       = "Great, glad that fixed it! I won't send it to the tech team. Ask me any time."
	textNotSure          = "I'm not sure I have an answer for that in the help articles. Would you like a tech to look at it?"
	textNotSureRelated   = "I'm not sure I have the right answer for that. These articles might be related, or I can get a tech to help:"
	textStillNoAnswer    = "I still don't have a good answer, so I'll pass this to a person."
	textWhileYouWait     = "I'm getting a tech on this now. While you wait, this may help:"
	textMeanwhile        = "While you wait for the tech, this may help:"
	textWelcome          = "You're welcome! Ask me any time."
	textSameSteps        = "That leads to the same steps I just showed you (“%s”). If they didn't work, I can get a tech."
	textOK               = "OK. Tell me if there's anything else I can help with."
	textCancelOffer      = "Your request %s is still open with the tech team; if you don't need a tech any more, cancel it here."
	textAskLocation      = "Which building and room are you in? I'll send this to a tech when you answer (add the device's asset tag if it has one, or say \"skip\" to send it now)."
	textAskSamePlace     = "Are you in %s again? I'll send this to a tech as soon as you answer: say \"yes\", or tell me the building and room (and the asset tag if it's about a device), or \"skip\" to send it now."
	textSeparate         = "If it's a separate problem from %s, I can send it as a request of its own."
	textPlaceNow         = "Which building and room are you in? Tell me and I'll add it for the tech."
	textBuildingNow      = "Which building is %s in? Tell me and I'll add it for the tech."
	textLastPlaceUsed    = "That's where your last request was; if you're somewhere else, tell me your building and room."
	textSentWithoutPlace = "I didn't hear where you are, so I've sent your request to the tech team as %s without it. Tell me your building and room and I'll add it."
	textPlaceLater       = "Where should the tech come? Tell me your building and room and I'll add it to the request."
	textAskBuilding      = "Which building is %s in? I'll send this to a tech as soon as you answer, or say \"skip\" to send it now."
	textSlowDown         = "You're sending messages faster than I can help with them. Please wait a minute, then tell me what's wrong in one message."
)

// PolicyAnswer is the fixed reply to a request the bot refuses. It does not
// search the KB and never calls an LLM.
func PolicyAnswer(policy string) string {
	switch policy {
	case "filter_bypass":
		return "I can't help with getting around the district's web filter or device monitoring: they keep students safe and are required by law (CIPA). If a site you need for teaching is blocked, say \"get a tech\" with the site's address and why you need it, and IT will review it."
	case "network_attack":
		return "I can't help with that. Disrupting, probing or breaking into district systems is against the acceptable use policy. If you think a system is under attack or has been broken into, say \"get a tech\" and describe what you saw."
	case "account_takeover":
		return "I can't help with getting into someone else's account or finding their password. If you need a colleague's files, ask them to share them. If you think an account has been compromised, say \"get a tech\" right away."
	}
	return "I can't help with that request. If you think this is a mistake, say \"get a tech\"."
}
