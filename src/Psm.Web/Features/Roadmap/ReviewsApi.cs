using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Roadmap;

public static class ReviewsApi
{
    public static RouteGroupBuilder MapReviewsApi(this RouteGroupBuilder api)
    {
        var reviews = api.MapGroup("/roadmap/reviews").WithTags("Roadmap reviews");
        reviews.MapGet("/", (RoadmapReviews r, CancellationToken ct) => r.ListAsync(ct)).WithName("ListRoadmapReviews")
            .WithSummary("Roadmap reviews, latest first.");
        reviews.MapGet("/{id:guid}", (Guid id, RoadmapReviews r, CancellationToken ct) => ApiResults.Found(r.GetAsync(id, ct))).WithName("GetRoadmapReview")
            .WithSummary("A review with its snapshot of every initiative and its action items.");
        reviews.MapPost("/", Hold).WithName("HoldRoadmapReview")
            .WithSummary("Holds a review: attendees, notes, decisions, and a snapshot of every initiative's status, dates, scores and objectives.")
            .RequireAuthorization(Permissions.RoadmapManage);
        reviews.MapGet("/compare", Compare).WithName("CompareRoadmapReviews")
            .WithSummary("What was added, dropped, moved in time, re-scored, re-prioritised or changed status between two reviews.");
        reviews.MapPost("/{id:guid}/action-items", (Guid id, ActionItemInput input, RoadmapReviews r, CancellationToken ct) => Created(r.AddActionAsync(id, null, input, ct)))
            .WithName("AddReviewActionItem").WithSummary("Adds an action item (owner, due date) to a review.").RequireAuthorization(Permissions.RoadmapManage);

        var retros = api.MapGroup("/retrospectives").WithTags("Roadmap reviews");
        retros.MapGet("/", (RoadmapReviews r, CancellationToken ct) => r.RetrospectivesAsync(ct)).WithName("ListRetrospectives")
            .WithSummary("Retrospectives, latest first, with their action items.");
        retros.MapPost("/", RecordRetrospective).WithName("RecordRetrospective")
            .WithSummary("Records a retrospective after a release or a review: what went well, what to improve.").RequireAuthorization(Permissions.RoadmapManage);
        retros.MapPost("/{id:guid}/action-items", (Guid id, ActionItemInput input, RoadmapReviews r, CancellationToken ct) => Created(r.AddActionAsync(null, id, input, ct)))
            .WithName("AddRetrospectiveActionItem").WithSummary("Adds an action item to a retrospective.").RequireAuthorization(Permissions.RoadmapManage);

        api.MapPut("/action-items/{id:guid}", UpdateAction).WithTags("Roadmap reviews").WithName("UpdateActionItem")
            .WithSummary("Updates an action item (text, owner, due date, status); send the version you read.").RequireAuthorization(Permissions.RoadmapManage);
        return api;
    }

    private static async Task<Results<Created<ActionItemDto>, NotFound>> Created(Task<ActionItemDto?> task) =>
        await task is { } item ? TypedResults.Created($"/api/v1/action-items/{item.Id}", item) : TypedResults.NotFound();

    private static async Task<Created<ReviewDto>> Hold(ReviewInput input, RoadmapReviews reviews, CancellationToken ct)
    {
        var review = await reviews.HoldAsync(input, ct);
        return TypedResults.Created($"/api/v1/roadmap/reviews/{review.Id}", review);
    }

    private static async Task<Results<Ok<ReviewDiffDto>, NotFound>> Compare(Guid? from, Guid? to, RoadmapReviews reviews, CancellationToken ct)
    {
        if (from is null || to is null)
        {
            throw new RequestValidationException(from is null ? "from" : "to", "Name the two reviews to compare: ?from=...&to=...");
        }

        return await reviews.CompareAsync(from.Value, to.Value, ct) is { } diff ? TypedResults.Ok(diff) : TypedResults.NotFound();
    }

    private static async Task<Created<RetrospectiveDto>> RecordRetrospective(RetrospectiveInput input, RoadmapReviews reviews, CancellationToken ct)
    {
        var retro = await reviews.RecordRetrospectiveAsync(input, ct);
        return TypedResults.Created($"/api/v1/retrospectives/{retro.Id}", retro);
    }

    private static async Task<Results<Ok<ActionItemDto>, NotFound>> UpdateAction(Guid id, ActionItemInput input, RoadmapReviews reviews, CancellationToken ct)
    {
        if (input.Version is null)
        {
            throw new RequestValidationException("version", "Version is required: send the version you last read.");
        }

        return await reviews.UpdateActionAsync(id, input, ct) is { } item ? TypedResults.Ok(item) : TypedResults.NotFound();
    }
}

public static class SharingApi
{
    public static RouteGroupBuilder MapSharingApi(this RouteGroupBuilder api)
    {
        var shares = api.MapGroup("/roadmap/shares").WithTags("Roadmap sharing");
        shares.MapGet("/", (RoadmapSharing s, CancellationToken ct) => s.ListAsync(ct)).WithName("ListRoadmapShares")
            .WithSummary("The read-only roadmap links, active first.");
        shares.MapPost("/", Create).WithName("CreateRoadmapShare")
            .WithSummary("Creates a read-only link showing only what you choose (statuses; dates or just quarters; owners; scores).")
            .RequireAuthorization(Permissions.RoadmapManage);
        shares.MapDelete("/{id:guid}", (Guid id, RoadmapSharing s, CancellationToken ct) => ApiResults.Found(s.RevokeAsync(id, ct)))
            .WithName("RevokeRoadmapShare").WithSummary("Revokes a link: it stops working at once.")
            .RequireAuthorization(Permissions.RoadmapManage);
        return api;
    }

    public static IEndpointRouteBuilder MapPublicRoadmapApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/public/roadmaps/{token}", async (string token, RoadmapSharing s, CancellationToken ct) =>
                await s.ViewAsync(token, ct) is { } view ? Results.Ok(view) : Results.NotFound())
            .AllowAnonymous().WithTags("Public roadmaps").WithName("GetSharedRoadmap")
            .WithSummary("A shared roadmap, as its link shows it, without signing in.")
            .RequireRateLimiting(Infrastructure.RateLimits.PublicLinks);
        return app;
    }

    private static async Task<Created<RoadmapShareDto>> Create(RoadmapShareInput input, RoadmapSharing sharing, CancellationToken ct)
    {
        var share = await sharing.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/roadmap/shares/{share.Id}", share);
    }
}
