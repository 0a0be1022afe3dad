using System.Security.Claims;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Search;

public static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this RouteGroupBuilder api)
    {
        api.MapGet("/search", async (string? q, ClaimsPrincipal user, GlobalSearch search, CancellationToken ct) =>
            {
                if (GlobalSearch.Problem(q) is { } problem)
                {
                    throw new RequestValidationException("q", problem);
                }

                return await search.SearchAsync(user, q!, ct);
            })
            .WithTags("Search").WithName("Search")
            .WithSummary("Searches customers, tickets (key or subject), initiatives, objectives, feedback, campaigns, help-centre articles and "
                + "(for administrators) users; each kind only when the caller may read its area. Every word matches the start of a word.");
        return api;
    }
}
