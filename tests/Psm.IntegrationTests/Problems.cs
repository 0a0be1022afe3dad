using System.Net;

namespace Psm.IntegrationTests;

public static class Problems
{
    /// <summary>
    /// Asserts a 400 and returns its per-field errors. Field names are read in camelCase: PSM's own checks
    /// use the JSON names, the framework's attribute validation the C# ones.
    /// </summary>
    public static async Task<Dictionary<string, string[]>> Errors(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadAsync<ProblemBody>()).Errors!;
        return errors.ToDictionary(e => char.ToLowerInvariant(e.Key[0]) + e.Key[1..], e => e.Value);
    }
}
