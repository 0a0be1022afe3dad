using System.Net.Http.Json;

namespace Psm.BrowserTests;

/// <summary>
/// Sends request bodies the way a client following the API reference does: enums by name. PSM refuses
/// enums sent as integers, and these, found before System.Net.Http.Json's, keep every test honest about it.
/// </summary>
internal static class JsonRequests
{
    public static Task<HttpResponseMessage> PostAsJsonAsync<T>(this HttpClient client, string? uri, T value) =>
        HttpClientJsonExtensions.PostAsJsonAsync(client, uri, value, Json.Options);

    public static Task<HttpResponseMessage> PutAsJsonAsync<T>(this HttpClient client, string? uri, T value) =>
        HttpClientJsonExtensions.PutAsJsonAsync(client, uri, value, Json.Options);
}
