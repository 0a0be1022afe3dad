using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Customers;

public static class JourneysApi
{
    public static RouteGroupBuilder MapJourneysApi(this RouteGroupBuilder api)
    {
        var maps = api.MapGroup("/journey-maps").WithTags("Journey maps");
        maps.MapGet("/", (Journeys j, Guid? personaId, CancellationToken ct) => j.ListAsync(personaId, ct)).WithName("ListJourneyMaps")
            .WithSummary("Lists journey maps, optionally for one persona.");
        maps.MapGet("/{id:guid}", (Guid id, Journeys j, CancellationToken ct) => ApiResults.Found(j.GetAsync(id, ct))).WithName("GetJourneyMap")
            .WithSummary("A journey map: stages with the volume and average sentiment of their linked feedback, touchpoints, pain points and links.");
        maps.MapPost("/", Create).WithName("CreateJourneyMap").WithSummary("Creates a journey map for a persona (and a product); the usual seven stages unless given.")
            .RequireAuthorization(Permissions.CustomersResearch);
        maps.MapPost("/{id:guid}/stages", (Guid id, StageInput input, Journeys j, CancellationToken ct) => ApiResults.Found(j.AddStageAsync(id, input, ct)))
            .WithName("AddJourneyStage").WithSummary("Adds a stage at the end.").RequireAuthorization(Permissions.CustomersResearch);
        maps.MapPost("/{id:guid}/stages/{stageId:guid}/touchpoints",
                (Guid id, Guid stageId, TouchpointInput input, Journeys j, CancellationToken ct) => ApiResults.Found(j.AddTouchpointAsync(id, stageId, input, ct)))
            .WithName("AddTouchpoint").WithSummary("Adds a touchpoint to a stage: channel, emotion (-2..2), pain point.").RequireAuthorization(Permissions.CustomersResearch);

        var touchpoints = api.MapGroup("/touchpoints").WithTags("Journey maps");
        touchpoints.MapPut("/{id:guid}", (Guid id, TouchpointInput input, Journeys j, CancellationToken ct) => ApiResults.Found(j.UpdateTouchpointAsync(id, input, ct)))
            .WithName("UpdateTouchpoint").WithSummary("Updates a touchpoint.").RequireAuthorization(Permissions.CustomersResearch);
        touchpoints.MapDelete("/{id:guid}", (Guid id, Journeys j, CancellationToken ct) => ApiResults.Found(j.DeleteTouchpointAsync(id, ct)))
            .WithName("DeleteTouchpoint").WithSummary("Deletes a touchpoint and its links.").RequireAuthorization(Permissions.CustomersResearch);
        touchpoints.MapPost("/{id:guid}/links", (Guid id, TouchpointLink link, Journeys j, CancellationToken ct) => ApiResults.Found(j.LinkAsync(id, link, ct)))
            .WithName("LinkTouchpoint").WithSummary("Links a touchpoint's pain point to a feedback item or an initiative.").RequireAuthorization(Permissions.CustomersResearch);
        return api;
    }

    private static async Task<Created<JourneyMapDto>> Create(JourneyMapInput input, Journeys journeys, CancellationToken ct)
    {
        var map = await journeys.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/journey-maps/{map.Id}", map);
    }
}
