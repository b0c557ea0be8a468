package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// provider is the OpenAI-compatible API. Its two calls are the only code
// that talks to the model, and both pass every string through redact (the
// Model's outbound): nothing reaches the provider unredacted.
type provider struct {
	client     *openai.Client
	model      string
	embedModel string
	maxOut     int
	// completionTokens: api.openai.com wants max_completion_tokens (newer
	// models reject max_tokens); Azure and self-hosted servers take max_tokens.
	completionTokens bool
	redact           func(string) string
}

// maxResponseBytes caps what a provider may send back: an answer is a few
// hundred tokens, and a runaway server must not fill memory.
const maxResponseBytes = 1 << 20

func newProvider(c Config, redact func(string) string) *provider {
	var cc openai.ClientConfig
	if c.Azure {
		cc = openai.DefaultAzureConfig(c.APIKey, c.BaseURL)
		cc.APIVersion = c.APIVersion
		// The deployment is named exactly as configured.
		cc.AzureModelMapperFunc = func(model string) string { return model }
	} else {
		cc = openai.DefaultConfig(c.APIKey)
		cc.BaseURL = c.BaseURL
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{
			Transport: cappedTransport{http.DefaultTransport, maxResponseBytes},
			// A redirect could carry a prompt to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return errors.New("the LLM endpoint redirected; not following")
			},
		}
	}
	cc.HTTPClient = hc
	return &provider{
		client:           openai.NewClientWithConfig(cc),
		model:            c.Model,
		embedModel:       c.EmbeddingModel,
		maxOut:           c.MaxOutputTokens,
		completionTokens: !c.Azure && strings.HasPrefix(c.BaseURL, OpenAIURL),
		redact:           redact,
	}
}

// chat sends one system and one user message and returns the reply and the
// tokens used (0 when the server does not say).
func (p *provider) chat(ctx context.Context, system, user string, maxOut int) (string, int64, error) {
	if maxOut <= 0 || maxOut > p.maxOut {
		maxOut = p.maxOut
	}
	req := openai.ChatCompletionRequest{
		Model: p.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.redact(system)},
			{Role: openai.ChatMessageRoleUser, Content: p.redact(user)},
		},
	}
	if p.completionTokens {
		req.MaxCompletionTokens = maxOut
	} else {
		req.MaxTokens = maxOut
	}
	res, err := p.client.CreateChatCompletion(ctx, req)
	if err != nil {
		return "", 0, fmt.Errorf("chat completion: %w", err)
	}
	used := int64(res.Usage.TotalTokens)
	if len(res.Choices) == 0 {
		return "", used, errors.New("chat completion: no choices")
	}
	return res.Choices[0].Message.Content, used, nil
}

// embed returns one vector per text, in order.
func (p *provider) embed(ctx context.Context, texts []string) ([][]float32, int64, error) {
	in := make([]string, len(texts))
	for i, t := range texts {
		in[i] = p.redact(t)
	}
	res, err := p.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
		Input: in, Model: openai.EmbeddingModel(p.embedModel),
	})
	if err != nil {
		return nil, 0, fmt.Errorf("embeddings: %w", err)
	}
	out := make([][]float32, len(texts))
	for _, d := range res.Data {
		if d.Index < 0 || d.Index >= len(out) || len(d.Embedding) == 0 {
			return nil, 0, fmt.Errorf("embeddings: bad index %d", d.Index)
		}
		out[d.Index] = d.Embedding
	}
	for i, v := range out {
		if v == nil {
			return nil, 0, fmt.Errorf("embeddings: none for input %d", i)
		}
	}
	return out, int64(res.Usage.TotalTokens), nil
}

// cappedTransport fails a response whose body is larger than max bytes.
type cappedTransport struct {
	rt  http.RoundTripper
	max int64
}

func (t cappedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	res.Body = &cappedBody{ReadCloser: res.Body, left: t.max}
	return res, nil
}

var errTooLarge = errors.New("LLM response too large")

type cappedBody struct {
	io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, err := io.ReadAtLeast(b.ReadCloser, one[:], 1); n > 0 {
			return 0, errTooLarge
		} else if err != nil && err != io.EOF {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
