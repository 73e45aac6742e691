using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Groundwork.Models.OpenAI;

/// <summary>The HTTP side shared by the chat and embedding clients: auth, timeouts, retries with backoff.</summary>
internal sealed class OpenAiHttp : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;
    private readonly Random _jitter = new();

    public OpenAiHttp(OpenAiEndpointOptions options, HttpClient? http)
    {
        Options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _apiKey = options.ApiKeyEnvironmentVariable is { } name ? Environment.GetEnvironmentVariable(name) : null;
    }

    public OpenAiEndpointOptions Options { get; }

    /// <summary>
    /// Sends a POST with retries. Returns the response with headers read (the body not yet consumed), so streaming
    /// callers can read it incrementally; a retry never happens after the caller started reading.
    /// </summary>
    public async Task<HttpResponseMessage> PostAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        var url = new Uri(Options.Endpoint.ToString().TrimEnd('/') + "/" + path + (Options.Query is { } q ? "?" + q.TrimStart('?') : ""));
        var json = body.ToJsonString();
        for (int attempt = 0; ; attempt++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Options.Timeout);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            if (!string.IsNullOrEmpty(_apiKey))
            {
                if (Options.ApiKeyHeader.Equals("Authorization", StringComparison.OrdinalIgnoreCase))
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
                else request.Headers.TryAddWithoutValidation(Options.ApiKeyHeader, _apiKey);
            }

            HttpResponseMessage? response = null;
            string? failure;
            TimeSpan? retryAfter = null;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return response;
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                failure = $"{(int)response.StatusCode} {response.ReasonPhrase}: {ErrorMessage(text)}";
                if (!Retryable(response.StatusCode) || attempt >= Options.MaxRetries)
                    throw new HttpRequestException($"{url.GetLeftPart(UriPartial.Path)}: {failure}", null, response.StatusCode);
                retryAfter = response.Headers.RetryAfter?.Delta
                    ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {Options.Timeout.TotalSeconds:0.#} s";
                if (attempt >= Options.MaxRetries) throw new TimeoutException($"{url.GetLeftPart(UriPartial.Path)}: {failure}");
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null && attempt < Options.MaxRetries)
            {
                failure = ex.Message;
            }
            finally
            {
                if (response is { IsSuccessStatusCode: false }) response.Dispose();
            }

            var delay = retryAfter ?? TimeSpan.FromMilliseconds(Options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt) * (0.8 + 0.4 * _jitter.NextDouble()));
            if (delay > TimeSpan.FromSeconds(60)) delay = TimeSpan.FromSeconds(60);
            if (delay > TimeSpan.Zero) await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool Retryable(HttpStatusCode code) => code is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
        || ((int)code >= 500 && code != HttpStatusCode.NotImplemented);

    private static string ErrorMessage(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && o["error"] is { } e)
                return (e is JsonObject eo ? eo["message"]?.GetValue<string>() : e.GetValue<string>()) ?? body;
        }
        catch (JsonException) { }
        catch (InvalidOperationException) { }
        body = body.ReplaceLineEndings(" ");
        return body.Length > 200 ? body[..200] : body;
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
