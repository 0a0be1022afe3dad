using System.Net.Http.Json;

namespace Psm.TestSupport;

/// <summary>
/// Sends request bodies the way a client following the API reference does: enums by name. PSM refuses
/// enums sent as integers, and these, preferred to System.Net.Http.Json's (they need no default argument), keep every test honest about it.
/// </summary>
public static class JsonRequests
{
    public static Task<HttpResponseMessage> PostAsJsonAsync<T>(this HttpClient client, string? uri, T value) =>
        HttpClientJsonExtensions.PostAsJsonAsync(client, uri, value, Json.Options);

    public static Task<HttpResponseMessage> PutAsJsonAsync<T>(this HttpClient client, string? uri, T value) =>
        HttpClientJsonExtensions.PutAsJsonAsync(client, uri, value, Json.Options);
}
