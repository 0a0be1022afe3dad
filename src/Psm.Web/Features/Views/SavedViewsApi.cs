using Microsoft.AspNetCore.Http.HttpResults;

namespace Psm.Web.Features.Views;

public static class SavedViewsApi
{
    public static RouteGroupBuilder MapSavedViewsApi(this RouteGroupBuilder api)
    {
        var views = api.MapGroup("/saved-views").WithTags("Saved views");
        views.MapGet("/", (string list, SavedViews v, CancellationToken ct) => v.ListAsync(list, ct)).WithName("ListSavedViews")
            .WithSummary("The caller's saved views of a list (list=queue) and those shared with one of their roles, their own first.");
        views.MapPost("/", async (SavedViewInput input, SavedViews v, CancellationToken ct) =>
            {
                var view = await v.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/saved-views/{view.Id}", view);
            })
            .WithName("CreateSavedView")
            .WithSummary("Saves a list's filters and sort (query, as the list's page reads them) under a name; optionally shared with a role, or the caller's default.");
        views.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, SavedViews v, CancellationToken ct) =>
                await v.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteSavedView").WithSummary("Deletes one of the caller's own saved views.");
        return api;
    }
}
