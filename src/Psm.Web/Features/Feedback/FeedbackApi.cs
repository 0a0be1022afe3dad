using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

public sealed record FeedbackBatch(List<FeedbackInput> Items);

public sealed record ResponseBatch(List<ResponseInput> Items);

public static class FeedbackApi
{
    public static RouteGroupBuilder MapFeedbackApi(this RouteGroupBuilder api)
    {
        var feedback = api.MapGroup("/feedback").WithTags("Feedback");
        feedback.MapGet("/", List).WithName("ListFeedback").WithSummary("Lists feedback, newest first, filtered, one page at a time.");
        feedback.MapGet("/export.csv", Export).WithName("ExportFeedback").WithSummary("Exports every matching feedback item as CSV.")
            .RequireAuthorization(Permissions.FeedbackTriage).AuditedExport("FeedbackItem");
        feedback.MapGet("/{id:guid}", Get).WithName("GetFeedback").WithSummary("Gets one feedback item with its themes and initiatives.");
        feedback.MapPost("/", Create).WithName("CreateFeedback")
            .WithSummary("Records feedback; it is scored for sentiment and tagged with matching themes.").RequireAuthorization(Permissions.FeedbackTriage);
        feedback.MapPost("/bulk", Ingest).WithName("IngestFeedback")
            .WithSummary("Takes up to 1000 items from another system. Known (channel, sourceRef) pairs are skipped; allOrNothing=false stores the good rows and reports the rest.")
            .DisableValidation() // rows are checked one by one, so each bad row is reported by number
            .RequireAuthorization(Permissions.FeedbackTriage).AuditedExport("FeedbackItem");
        feedback.MapPost("/import", ImportFeedback).WithName("ImportFeedback")
            .WithSummary("Imports feedback from CSV (text/csv). map=field:Column,... chooses columns (else by name); allOrNothing=false keeps the good rows and reports the rest.")
            .Accepts<string>("text/csv").RequireAuthorization(Permissions.FeedbackTriage).AllowsLargeUploads();
        feedback.MapPost("/import/preview", (HttpRequest request, CancellationToken ct) => Preview(request, Imports.FeedbackFields, ct))
            .WithName("PreviewFeedbackImport").WithSummary("Reads a CSV's header and first rows and suggests a column mapping.")
            .Accepts<string>("text/csv").RequireAuthorization(Permissions.FeedbackTriage);
        feedback.MapPost("/triage", Triage).WithName("TriageFeedback")
            .WithSummary("Tags, untags, links to an initiative, triages, closes or reopens many items at once.").RequireAuthorization(Permissions.FeedbackTriage);
        feedback.MapDelete("/{id:guid}/initiatives/{initiativeId:guid}", Unlink).WithName("UnlinkFeedback")
            .WithSummary("Removes a feedback item from an initiative's evidence.").RequireAuthorization(Permissions.FeedbackTriage);
        feedback.MapGet("/analysis", Analysis).WithName("AnalyseFeedback")
            .WithSummary("Volume and sentiment by theme per period, and the themes rising against the previous period (two-proportion z-test).");
        feedback.MapGet("/demand", async (Demand demand, string? segment, CancellationToken ct) => TypedResults.Ok(await demand.RankAsync(segment, ct)))
            .WithName("RankDemandByRevenue")
            .WithSummary("Themes and initiatives ranked by the MRR and lifetime value of the distinct customers asking, optionally within a segment (name or id).");

        var themes = api.MapGroup("/themes").WithTags("Feedback");
        themes.MapGet("/", (FeedbackInbox inbox, CancellationToken ct) => inbox.ThemesAsync(ct)).WithName("ListThemes")
            .WithSummary("Lists themes with their keywords and how many items carry each.");
        themes.MapPost("/", CreateTheme).WithName("CreateTheme").WithSummary("Creates a theme with its keywords and phrases.")
            .RequireAuthorization(Permissions.FeedbackThemes);
        themes.MapPut("/{id:guid}", UpdateTheme).WithName("UpdateTheme").WithSummary("Updates a theme; send the version you read.")
            .RequireAuthorization(Permissions.FeedbackThemes);
        themes.MapPost("/{id:guid}/apply", ApplyTheme).WithName("ApplyTheme")
            .WithSummary("Tags existing feedback that matches the theme's keywords; returns how many items were tagged.")
            .RequireAuthorization(Permissions.FeedbackThemes);
        themes.MapGet("/suggestions", (FeedbackInbox inbox, CancellationToken ct) => inbox.SuggestThemesAsync(ct: ct))
            .WithName("SuggestThemes").WithSummary("Proposes new themes from phrases that recur in untagged feedback.");

        api.MapGet("/initiatives/{id:guid}/evidence", (Guid id, FeedbackInbox inbox, CancellationToken ct) => inbox.EvidenceAsync(id, ct))
            .WithTags("Feedback").WithName("GetInitiativeEvidence")
            .WithSummary("The customer evidence behind an initiative: items, customers, their combined lifetime value, themes, quotes.");

        var surveys = api.MapGroup("/surveys").WithTags("Surveys");
        surveys.MapGet("/", (Surveys s, CancellationToken ct) => s.ListAsync(ct)).WithName("ListSurveys").WithSummary("Lists surveys.");
        surveys.MapGet("/{id:guid}", GetSurvey).WithName("GetSurvey").WithSummary("Gets one survey with its public link.");
        surveys.MapPost("/", CreateSurvey).WithName("CreateSurvey").WithSummary("Creates an NPS, CSAT or CES survey with a public link.")
            .RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPut("/{id:guid}", UpdateSurvey).WithName("UpdateSurvey").WithSummary("Updates a survey; send the version you read.")
            .RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPost("/{id:guid}/close", (Guid id, Surveys s, CancellationToken ct) => ApiResults.Found(s.SetOpenAsync(id, false, ct)))
            .WithName("CloseSurvey").WithSummary("Closes a survey: its link refuses new answers.").RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPost("/{id:guid}/reopen", (Guid id, Surveys s, CancellationToken ct) => ApiResults.Found(s.SetOpenAsync(id, true, ct)))
            .WithName("ReopenSurvey").WithSummary("Reopens a closed survey.").RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPost("/{id:guid}/waves", (Guid id, Surveys s, CancellationToken ct) => ApiResults.Found(s.StartWaveAsync(id, ct)))
            .WithName("StartSurveyWave").WithSummary("Starts the next wave: every customer may answer once more.").RequireAuthorization(Permissions.SurveysManage);
        surveys.MapGet("/{id:guid}/responses", Responses).WithName("ListSurveyResponses").WithSummary("Lists answers, newest first.");
        surveys.MapGet("/{id:guid}/responses/export.csv", async Task<Results<EmptyHttpResult, NotFound>> (Guid id, HttpContext http, Surveys s, CancellationToken ct) =>
            {
                if (await s.ExportResponsesAsync(id, ct) is not { } rows)
                {
                    return TypedResults.NotFound();
                }

                await Csv.WriteAsync(http.Response, "survey-answers.csv", Surveys.ResponseExportHeader, rows, ct);
                return TypedResults.Empty;
            })
            .WithName("ExportSurveyResponses").ReadsFromReplica()
            .WithSummary("Exports a survey's answers as CSV, oldest first: the import's columns in its formats (the customer by reference, else id), then channel, wave and id.");
        surveys.MapPost("/{id:guid}/responses", Respond).WithName("RecordSurveyResponse")
            .WithSummary("Records an answer (for a known customer, once per wave). A comment becomes feedback.").RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPost("/{id:guid}/responses/bulk", IngestResponses).WithName("IngestSurveyResponses")
            .WithSummary("Takes up to 1000 answers from another system; known externalRefs are skipped.")
            .DisableValidation().RequireAuthorization(Permissions.SurveysManage);
        surveys.MapPost("/{id:guid}/responses/import", ImportResponses).WithName("ImportSurveyResponses")
            .WithSummary("Imports answers from CSV (text/csv), streaming. map=field:Column,... chooses columns; allOrNothing=false keeps the good rows.")
            .Accepts<string>("text/csv").RequireAuthorization(Permissions.SurveysManage).AllowsLargeUploads();
        surveys.MapPost("/responses/import/preview", (HttpRequest request, CancellationToken ct) => Preview(request, Imports.ResponseFields, ct))
            .WithName("PreviewResponseImport").WithSummary("Reads a CSV's header and first rows and suggests a column mapping.")
            .Accepts<string>("text/csv").RequireAuthorization(Permissions.SurveysManage);
        surveys.MapGet("/{id:guid}/results", Results).WithName("GetSurveyResults")
            .WithSummary("Score with its 95 % margin of error, distribution, monthly trend, breakdowns by segment and persona, latest comments.");

        api.MapGet("/survey-scores/{kind}", Score).WithTags("Surveys").WithName("GetSurveyScore")
            .WithSummary("NPS, CSAT or CES over all surveys of that kind with its 95 % margin of error, optionally tested against an earlier period.");

        var segments = api.MapGroup("/segments").WithTags("Segments");
        segments.MapGet("/", (Audiences a, CancellationToken ct) => a.SegmentsAsync(ct)).WithName("ListSegments")
            .WithSummary("Lists segments with their live member counts.");
        segments.MapGet("/{id:guid}", GetSegment).WithName("GetSegment").WithSummary("Gets one segment with its live member count.");
        segments.MapGet("/{id:guid}/members", Members).WithName("ListSegmentMembers")
            .WithSummary("Lists a segment's members (customers who consented to profiling), by name.");
        segments.MapPost("/preview", (SegmentRules rules, Audiences a, CancellationToken ct) => Preview(rules, a, ct)).WithName("PreviewSegment")
            .WithSummary("Counts the customers rules would match, before saving them.");
        segments.MapPost("/", CreateSegment).WithName("CreateSegment").WithSummary("Creates a segment from rules.").RequireAuthorization(Permissions.CustomersResearch);
        segments.MapPut("/{id:guid}", UpdateSegment).WithName("UpdateSegment").WithSummary("Updates a segment; send the version you read.")
            .RequireAuthorization(Permissions.CustomersResearch);
        segments.MapDelete("/{id:guid}", DeleteSegment).WithName("DeleteSegment").WithSummary("Deletes a segment (customers are untouched).")
            .RequireAuthorization(Permissions.CustomersResearch);

        var personas = api.MapGroup("/personas").WithTags("Personas");
        personas.MapGet("/", (Audiences a, CancellationToken ct) => a.PersonasAsync(ct)).WithName("ListPersonas")
            .WithSummary("Lists personas with their empathy maps.");
        personas.MapGet("/{id:guid}", GetPersona).WithName("GetPersona").WithSummary("Gets one persona.");
        personas.MapPost("/", CreatePersona).WithName("CreatePersona").WithSummary("Creates a persona.").RequireAuthorization(Permissions.CustomersResearch);
        personas.MapPut("/{id:guid}", UpdatePersona).WithName("UpdatePersona").WithSummary("Updates a persona; send the version you read.")
            .RequireAuthorization(Permissions.CustomersResearch);

        api.MapGet("/customers/{id:guid}/contacts", (Guid id, Audiences a, CancellationToken ct) => ApiResults.Found(a.ContactsAsync(id, ct)))
            .WithTags("Customers").WithName("ListContacts").WithSummary("The customer's contacts.");
        api.MapPost("/customers/{id:guid}/contacts", AddContact).WithTags("Customers").WithName("AddContact")
            .WithSummary("Adds a contact (name, email) to a customer.").RequireAuthorization(Permissions.CustomersManage);
        api.MapDelete("/customers/{id:guid}/contacts/{contactId:guid}", RemoveContact).WithTags("Customers").WithName("RemoveContact")
            .WithSummary("Removes a contact.").RequireAuthorization(Permissions.CustomersManage);
        api.MapGet("/customers/{id:guid}/consent", GetConsent).WithTags("Customers").WithName("GetConsent")
            .WithSummary("The customer's current consent and its full history.");
        api.MapPost("/customers/{id:guid}/consent", RecordConsent).WithTags("Customers").WithName("RecordConsent")
            .WithSummary("Grants or withdraws consent for a purpose; it takes effect at once and is kept in the history.")
            .RequireAuthorization(Permissions.CustomersConsent);
        return api;
    }

    /// <summary>The anonymous side of surveys: no sign-in, an unguessable token, and a rate limit per client address.</summary>
    public static IEndpointRouteBuilder MapPublicSurveyApi(this IEndpointRouteBuilder app)
    {
        var open = app.MapGroup("/api/v1/public/surveys").WithTags("Public surveys").AllowAnonymous()
            .RequireRateLimiting(RateLimits.PublicLinks).CheckInputs();
        open.MapGet("/{token}", PublicSurvey).WithName("GetPublicSurvey").WithSummary("The question a public link asks. Rate-limited per client address.");
        open.MapPost("/{token}/responses", PublicRespond).WithName("AnswerPublicSurvey")
            .WithSummary("Answers a survey through its public link, without signing in: one answer per browser per wave (a cookie) and rate-limited per client address.")
            .DisableAntiforgery();
        var personal = app.MapGroup("/api/v1/public/invitations").WithTags("Public surveys").AllowAnonymous().CheckInputs();
        personal.MapGet("/{token}", async (string token, Surveys s, CancellationToken ct) =>
                await s.FindInvitationAsync(token, ct) is { } view ? Microsoft.AspNetCore.Http.Results.Ok(view) : Microsoft.AspNetCore.Http.Results.NotFound())
            .WithName("GetSurveyInvitation").WithSummary("The question a personal link (a resolved ticket's survey) asks, and whether it was answered.")
            .RequireRateLimiting(RateLimits.PublicLinks);
        personal.MapPost("/{token}/responses", async (string token, PublicResponseInput input, Surveys s, CancellationToken ct) =>
                await s.AnswerInvitationAsync(token, input.Score, input.Comment, ct) is { } response ? Microsoft.AspNetCore.Http.Results.Ok(response) : Microsoft.AspNetCore.Http.Results.NotFound())
            .WithName("AnswerSurveyInvitation")
            .WithSummary("Answers a personal link once, without signing in: the answer lands on the customer, the ticket and the agent's CSAT, and a comment becomes feedback.")
            .RequireRateLimiting(RateLimits.PublicLinks).DisableAntiforgery();
        return app;
    }

    private static FeedbackFilter Filter(
        string? search, FeedbackStatus? status, FeedbackChannel? channel, Guid? themeId, bool? untagged, Guid? productId, Guid? serviceId,
        Guid? customerId, Guid? initiativeId, SentimentLabel? sentiment, bool? open) =>
        new(search, status, channel, themeId, untagged ?? false, productId, serviceId, customerId, initiativeId, sentiment, open ?? false);

    private static async Task<Ok<Page<FeedbackDto>>> List(
        FeedbackInbox inbox, string? search, FeedbackStatus? status, FeedbackChannel? channel, Guid? themeId, bool? untagged,
        Guid? productId, Guid? serviceId, Guid? customerId, Guid? initiativeId, SentimentLabel? sentiment, bool? open, int? limit,
        string? cursor, CancellationToken ct) =>
        TypedResults.Ok(await inbox.ListAsync(
            Filter(search, status, channel, themeId, untagged, productId, serviceId, customerId, initiativeId, sentiment, open),
            PageRequest.Parse(limit, cursor), ct));

    private static Task Export(
        HttpContext http, FeedbackInbox inbox, string? search, FeedbackStatus? status, FeedbackChannel? channel, Guid? themeId,
        bool? untagged, Guid? productId, Guid? serviceId, Guid? customerId, Guid? initiativeId, SentimentLabel? sentiment, bool? open,
        CancellationToken ct)
    {
        var filter = Filter(search, status, channel, themeId, untagged, productId, serviceId, customerId, initiativeId, sentiment, open);
        // The import's columns first, in its formats (the customer by id; a re-import skips items that have a source
        // reference), then what PSM keeps and computes about the item.
        return Csv.WriteAsync(http.Response, "feedback.csv",
            [.. Imports.FeedbackFields.Select(f => f.Name), "id", "status", "sentiment", "sentimentLabel", "themes", "initiatives", "customerName"],
            Rows(inbox.StreamAsync(filter, ct)), ct);

        static async IAsyncEnumerable<string?[]> Rows(IAsyncEnumerable<FeedbackDto> items)
        {
            await foreach (var f in items)
            {
                yield return
                [
                    f.Text, f.Channel.ToString(), f.Customer?.Id.ToString(), f.Rating?.ToString(CultureInfo.InvariantCulture), f.ReceivedAt.ToString("O", CultureInfo.InvariantCulture),
                    f.SourceRef, f.Id.ToString(), f.Status.ToString(), f.Sentiment.ToString(CultureInfo.InvariantCulture), f.SentimentLabel.ToString(),
                    string.Join("; ", f.Themes.Select(t => t.Name)), string.Join("; ", f.Initiatives.Select(i => i.Initiative)), f.Customer?.Name,
                ];
            }
        }
    }

    private static Task<Results<Ok<FeedbackDto>, NotFound>> Get(Guid id, FeedbackInbox inbox, CancellationToken ct) => ApiResults.Found(inbox.GetAsync(id, ct));

    private static async Task<Created<FeedbackDto>> Create(FeedbackInput input, FeedbackInbox inbox, CancellationToken ct)
    {
        var item = await inbox.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/feedback/{item.Id}", item);
    }

    private static async Task<Results<Ok<IngestResult>, RefusedImport<IngestResult>>> Ingest(
        FeedbackBatch batch, FeedbackInbox inbox, bool? allOrNothing, CancellationToken ct)
    {
        var result = await inbox.IngestAsync(batch.Items ?? [], allOrNothing ?? true, ct);
        return result.Created == 0 && result.Rejected.Count > 0 ? RefusedImport.Of(result) : TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<ImportPreview>, ProblemHttpResult>> Preview(
        HttpRequest request, IReadOnlyList<ImportField> fields, CancellationToken ct) =>
        ApiResults.RefuseUnlessCsv(request) is { } refused ? refused : TypedResults.Ok(await CsvImport.PreviewAsync(request.Body, fields, ct));

    private static async Task<Results<Ok<CsvImportResult>, RefusedImport<CsvImportResult>, ProblemHttpResult>> ImportFeedback(
        HttpRequest request, Imports imports, string? map, bool? allOrNothing, CancellationToken ct)
    {
        if (ApiResults.RefuseUnlessCsv(request) is { } refused)
        {
            return refused;
        }

        using var reader = CsvImport.Reader(request.Body);
        var result = await imports.ImportFeedbackAsync(reader, CsvImport.ParseMapping(map), allOrNothing ?? true, ct: ct);
        return result.Applied ? TypedResults.Ok(result) : RefusedImport.Of(result);
    }

    private static async Task<Results<Ok<CsvImportResult>, RefusedImport<CsvImportResult>, NotFound, ProblemHttpResult>> ImportResponses(
        Guid id, HttpRequest request, Imports imports, string? map, bool? allOrNothing, CancellationToken ct)
    {
        if (ApiResults.RefuseUnlessCsv(request) is { } refused)
        {
            return refused;
        }

        using var reader = CsvImport.Reader(request.Body);
        var result = await imports.ImportResponsesAsync(id, reader, CsvImport.ParseMapping(map), allOrNothing ?? true, ct: ct);
        return result is null ? TypedResults.NotFound() : result.Applied ? TypedResults.Ok(result) : RefusedImport.Of(result);
    }

    private static async Task<Ok<TriageResult>> Triage(TriageRequest request, FeedbackInbox inbox, CancellationToken ct) =>
        TypedResults.Ok(new TriageResult(await inbox.TriageAsync(request, ct)));

    private static async Task<Results<NoContent, NotFound>> Unlink(Guid id, Guid initiativeId, FeedbackInbox inbox, CancellationToken ct) =>
        await inbox.UnlinkAsync(id, initiativeId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static async Task<Ok<FeedbackAnalysisDto>> Analysis(
        FeedbackAnalysis analysis, DateOnly? from, DateOnly? to, Granularity? granularity, Guid? productId, Guid? serviceId,
        FeedbackChannel? channel, string? segment, CancellationToken ct) =>
        TypedResults.Ok(await analysis.AnalyseAsync(new AnalysisQuery(from, to, granularity ?? Granularity.Month, productId, serviceId, channel, segment), ct));

    private static async Task<Created<ThemeDto>> CreateTheme(ThemeInput input, FeedbackInbox inbox, CancellationToken ct)
    {
        var theme = await inbox.SaveThemeAsync(null, input, ct);
        return TypedResults.Created($"/api/v1/themes/{theme.Id}", theme);
    }

    private static async Task<Ok<ThemeDto>> UpdateTheme(Guid id, ThemeInput input, FeedbackInbox inbox, CancellationToken ct)
    {
        if (input.Version is null)
        {
            throw new RequestValidationException("version", "Version is required: send the version you last read.");
        }

        return TypedResults.Ok(await inbox.SaveThemeAsync(id, input, ct));
    }

    private static async Task<Ok<ApplyResult>> ApplyTheme(Guid id, FeedbackInbox inbox, CancellationToken ct) =>
        TypedResults.Ok(new ApplyResult(await inbox.ApplyThemeAsync(id, ct)));

    private static Task<Results<Ok<SurveyDto>, NotFound>> GetSurvey(Guid id, Surveys surveys, CancellationToken ct) => ApiResults.Found(surveys.GetAsync(id, ct));

    private static async Task<Created<SurveyDto>> CreateSurvey(SurveyInput input, Surveys surveys, CancellationToken ct)
    {
        var survey = await surveys.CreateAsync(input, ct);
        return TypedResults.Created($"/api/v1/surveys/{survey.Id}", survey);
    }

    private static Task<Results<Ok<SurveyDto>, NotFound>> UpdateSurvey(Guid id, SurveyUpdate input, Surveys surveys, CancellationToken ct) =>
        ApiResults.Found(surveys.UpdateAsync(id, input, ct));

    private static async Task<Results<Ok<Page<SurveyResponseDto>>, NotFound>> Responses(
        Guid id, Surveys surveys, int? limit, string? cursor, CancellationToken ct) =>
        await surveys.ResponsesAsync(id, PageRequest.Parse(limit, cursor), ct) is { } page ? TypedResults.Ok(page) : TypedResults.NotFound();

    private static async Task<Results<Created<SurveyResponseDto>, NotFound>> Respond(Guid id, ResponseInput input, Surveys surveys, CancellationToken ct) =>
        await surveys.RespondAsync(id, input, ResponseChannel.Api, ct) is { } response
            ? TypedResults.Created($"/api/v1/surveys/{id}/responses/{response.Id}", response)
            : TypedResults.NotFound();

    private static async Task<Results<Ok<IngestResult>, RefusedImport<IngestResult>, NotFound>> IngestResponses(
        Guid id, ResponseBatch batch, Surveys surveys, bool? allOrNothing, CancellationToken ct)
    {
        var result = await surveys.IngestAsync(id, batch.Items ?? [], allOrNothing ?? true, ct);
        if (result is null)
        {
            return TypedResults.NotFound();
        }

        return result.Created == 0 && result.Rejected.Count > 0 ? RefusedImport.Of(result) : TypedResults.Ok(result);
    }

    private static async Task<Results<Ok<SurveyResultsDto>, NotFound>> Results(
        Guid id, Surveys surveys, TimeProvider time, DateOnly? from, DateOnly? to, CancellationToken ct)
    {
        var (start, end) = MetricQuery.Period(time, from, to);
        return await surveys.ResultsAsync(id, start, end, ct) is { } results ? TypedResults.Ok(results) : TypedResults.NotFound();
    }

    private static async Task<Ok<ScoreReport>> Score(
        SurveyKind kind, Surveys surveys, TimeProvider time, DateOnly? from, DateOnly? to, Guid? productId, Guid? serviceId, string? segment,
        Guid? personaId, DateOnly? compareFrom, DateOnly? compareTo, CancellationToken ct)
    {
        var (start, end) = MetricQuery.Period(time, from, to);
        return TypedResults.Ok(await surveys.ScoreAsync(kind, new MetricQuery(start, end, productId, serviceId, segment, personaId), compareFrom, compareTo, ct));
    }

    private static Task<Results<Ok<SegmentDto>, NotFound>> GetSegment(Guid id, Audiences a, CancellationToken ct) => ApiResults.Found(a.SegmentAsync(id, ct));

    private static async Task<Results<Ok<Page<CustomerDto>>, NotFound>> Members(Guid id, Audiences a, int? limit, string? cursor, CancellationToken ct) =>
        await a.MembersAsync(id, PageRequest.Parse(limit, cursor), ct) is { } page ? TypedResults.Ok(page) : TypedResults.NotFound();

    private static async Task<Ok<SegmentPreview>> Preview(SegmentRules rules, Audiences a, CancellationToken ct)
    {
        RequestValidationException.ThrowIfAny(rules.Problems());
        var (members, leftOut) = await a.PreviewAsync(rules, ct);
        return TypedResults.Ok(new SegmentPreview(members, leftOut, rules.Describe()));
    }

    private static async Task<Created<SegmentDto>> CreateSegment(SegmentInput input, Audiences a, CancellationToken ct)
    {
        var segment = await a.CreateSegmentAsync(input, ct);
        return TypedResults.Created($"/api/v1/segments/{segment.Id}", segment);
    }

    private static Task<Results<Ok<SegmentDto>, NotFound>> UpdateSegment(Guid id, SegmentUpdate input, Audiences a, CancellationToken ct) =>
        ApiResults.Found(a.UpdateSegmentAsync(id, input, ct));

    private static async Task<Results<NoContent, NotFound>> DeleteSegment(Guid id, Audiences a, CancellationToken ct) =>
        await a.DeleteSegmentAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static Task<Results<Ok<PersonaDto>, NotFound>> GetPersona(Guid id, Audiences a, CancellationToken ct) => ApiResults.Found(a.PersonaAsync(id, ct));

    private static async Task<Created<PersonaDto>> CreatePersona(PersonaInput input, Audiences a, CancellationToken ct)
    {
        var persona = await a.CreatePersonaAsync(input, ct);
        return TypedResults.Created($"/api/v1/personas/{persona.Id}", persona);
    }

    private static Task<Results<Ok<PersonaDto>, NotFound>> UpdatePersona(Guid id, PersonaUpdate input, Audiences a, CancellationToken ct) =>
        ApiResults.Found(a.UpdatePersonaAsync(id, input, ct));

    private static async Task<Results<Created<ContactDto>, NotFound>> AddContact(Guid id, ContactInput input, Audiences a, CancellationToken ct) =>
        await a.AddContactAsync(id, input, ct) is { } contact
            ? TypedResults.Created($"/api/v1/customers/{id}/contacts/{contact.Id}", contact)
            : TypedResults.NotFound();

    private static async Task<Results<NoContent, NotFound>> RemoveContact(Guid id, Guid contactId, Audiences a, CancellationToken ct) =>
        await a.RemoveContactAsync(id, contactId, ct) ? TypedResults.NoContent() : TypedResults.NotFound();

    private static Task<Results<Ok<ConsentStateDto>, NotFound>> GetConsent(Guid id, Audiences a, CancellationToken ct) => ApiResults.Found(a.ConsentAsync(id, ct));

    private static Task<Results<Ok<ConsentStateDto>, NotFound>> RecordConsent(Guid id, ConsentInput input, Audiences a, CancellationToken ct) =>
        ApiResults.Found(a.RecordConsentAsync(id, input, ct));

    private static async Task<Results<Ok<PublicSurveyDto>, NotFound>> PublicSurvey(string token, Surveys surveys, CancellationToken ct) =>
        await surveys.FindByTokenAsync(token, ct) is { } s
            ? TypedResults.Ok(new PublicSurveyDto(s.Name, s.Kind, s.Question, s.FollowUpQuestion, s.Min, s.Max, s.Status == SurveyStatus.Open))
            : TypedResults.NotFound();

    private static async Task<Results<Created, NotFound, ProblemHttpResult>> PublicRespond(
        string token, PublicResponseInput input, Surveys surveys, HttpContext http, CancellationToken ct)
    {
        if (await surveys.FindByTokenAsync(token, ct) is not { } survey)
        {
            return TypedResults.NotFound();
        }

        if (AnonymousAnswers.AlreadyAnswered(http, survey))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already answered.", detail: AnonymousAnswers.Message);
        }

        await surveys.RespondAsync(survey.Id, new ResponseInput { Score = input.Score, Comment = input.Comment }, ResponseChannel.Web, ct);
        AnonymousAnswers.Remember(http, survey);
        return TypedResults.Created();
    }
}

public sealed record TriageResult(int Updated);

public sealed record ApplyResult(int Tagged);

public sealed record SegmentPreview(int Members, int LeftOutWithoutConsent, string Rules);

public sealed record PublicSurveyDto(string Name, SurveyKind Kind, string Question, string? FollowUpQuestion, int Min, int Max, bool Open);
