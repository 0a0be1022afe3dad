using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MudBlazor.Services;
using Psm.Web.Components;
using Psm.Web.Data;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Account;
using Psm.Web.Features.Admin;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Chat;
using Psm.Web.Features.Feedback;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Infrastructure;

public static class PsmApp
{
    public static WebApplicationBuilder AddPsm(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddPsmTelemetry();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PsmInstance>();
        services.AddPsmDatabase(DatabaseSettings.From(builder.Configuration, builder.Environment.ContentRootPath));
        services.AddPsmDataProtection(builder.Configuration, builder.Environment.ContentRootPath);
        services.AddPsmAuth(builder.Configuration);
        services.AddHttpContextAccessor();

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
            if (context.ProblemDetails.Status == StatusCodes.Status413PayloadTooLarge)
            {
                context.ProblemDetails.Detail ??= UnreadableRequest.TooLarge;
            }
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddValidation();
        services.ConfigureHttpJsonOptions(o => InputRules.Apply(o.SerializerOptions));
        // Unreadable requests reach ProblemExceptionHandler in every environment, which names the field.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer<ApiKeySecurityTransformer>();
            options.AddOperationTransformer<OpenApiReference>();
            options.AddDocumentTransformer<OpenApiReference>();
        });
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<Components.Shared.UserClock>();

        services.AddScoped<DatabaseInitializer>();
        services.AddScoped<OperationScope>();
        services.AddScoped<CustomerService>();
        services.AddScoped<CustomerImport>();
        services.AddScoped<ApiKeyService>();
        services.AddScoped<UserAdministration>();
        services.AddScoped<AuditLog>();
        services.AddScoped<Features.Catalog.Catalog>();
        services.AddScoped<People>();
        var atRiskMargin = builder.Configuration.GetValue("Strategy:AtRiskMarginPoints", Features.Strategy.AtRisk.DefaultMarginPoints);
        if (atRiskMargin is < 0 or > 100)
        {
            throw new InvalidOperationException("Strategy:AtRiskMarginPoints must be between 0 and 100.");
        }

        services.AddScoped(sp => new Features.Strategy.Objectives(
            sp.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PsmDb>>(),
            sp.GetRequiredService<Features.Strategy.MetricRegistry>(),
            sp.GetRequiredService<Features.Catalog.Catalog>(),
            sp.GetRequiredService<TimeProvider>()) { AtRiskMargin = atRiskMargin });
        services.AddScoped<Features.Strategy.MetricRegistry>();
        services.AddKeyedScoped(Features.Strategy.MetricRegistry.Reporting, (sp, _) => new Features.Strategy.MetricRegistry(
            sp.GetServices<Features.Strategy.IMetric>(), sp.GetRequiredService<Persistence.ReportingDbFactory>()));
        services.AddScoped<Features.Roadmap.Roadmap>();
        services.AddScoped<Features.Search.GlobalSearch>();
        services.AddScoped<Features.Views.SavedViews>();
        services.AddScoped<Features.Roadmap.RoadmapReviews>();
        services.AddScoped<Features.Roadmap.RoadmapSharing>();
        services.AddScoped<Features.Roadmap.ReleaseImpact>();
        services.AddScoped<Features.Roadmap.Timeline>();
        services.AddScoped<Features.Alignment.AlignmentReport>();
        services.AddScoped<Features.Alignment.AlignmentRecords>();
        services.AddScoped<Features.Strategy.IMetric, Features.Alignment.AlignmentScoreMetric>();
        services.AddScoped<Features.Strategy.IMetric, Features.Alignment.UnservedObjectivesMetric>();
        services.AddScoped<Features.Strategy.IMetric, Features.Alignment.OffStrategyInitiativesMetric>();
        services.AddScoped<Features.Strategy.IMetric, NewCustomersMetric>();
        services.AddScoped<Audiences>();
        services.AddScoped<Journeys>();
        services.AddScoped<Features.Feedback.FeedbackInbox>();
        services.AddScoped<Features.Feedback.Demand>();
        services.AddScoped<Features.Feedback.FeedbackAnalysis>();
        services.AddScoped<Features.Feedback.Surveys>();
        services.AddScoped<Features.Feedback.Imports>();
        services.AddSingleton<Imports.ImportJobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<Imports.ImportJobRunner>());
        services.AddScoped<Imports.ImportJobs>();
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Feedback.SurveyMetric.Nps());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Feedback.SurveyMetric.Csat());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Feedback.SurveyMetric.Ces());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Feedback.SurveyMetric.Responses());
        services.AddPublicSurveyRateLimit(builder.Configuration);
        services.AddScoped<Features.Strategy.IMetric, ActiveCustomersMetric>();
        services.AddScoped<Features.Commerce.Orders>();
        services.AddScoped<Features.ServiceDesk.Tickets>();
        services.AddScoped<Features.ServiceDesk.TicketEvidence>();
        services.AddScoped<Features.ServiceDesk.SlaSettings>();
        foreach (var metric in Features.ServiceDesk.ServiceMetric.All())
        {
            services.AddScoped<Features.Strategy.IMetric>(_ => metric);
        }

        services.AddScoped<Features.ServiceDesk.SlaMonitor>();
        services.AddHostedService<Features.ServiceDesk.SlaMonitorJob>();
        services.AddSingleton<Features.Commerce.CustomerFigureKeeper>();
        services.AddHostedService<Features.Commerce.CustomerFiguresJob>();
        services.AddScoped<Rollups.RollupKeeper>();
        services.AddHostedService<Rollups.RollupJob>();
        services.AddScoped<Features.Account.Notifications>();
        services.AddSingleton<Features.Mail.MailSecrets>();
        services.AddSingleton<PublicAddress>();
        services.AddScoped<Features.Mail.MailTemplates>();
        services.AddScoped<Features.Mail.SurveyMail>();
        foreach (var metric in Features.Mail.InvitationMetric.All())
        {
            services.AddScoped<Features.Strategy.IMetric>(_ => metric);
        }

        services.AddScoped<Features.HelpCentre.HelpCentre>();
        services.AddSingleton<Features.HelpCentre.AssistantIndex>();
        services.AddScoped<Features.HelpCentre.Assistant>();
        foreach (var metric in Features.HelpCentre.ArticleMetric.All())
        {
            services.AddScoped<Features.Strategy.IMetric>(_ => metric);
        }

        services.AddSignalR(o => o.MaximumReceiveMessageSize = 16 * 1024).AddJsonProtocol(o => InputRules.Apply(o.PayloadSerializerOptions));
        services.AddSingleton<Features.Chat.ChatSites>();
        services.AddSingleton<Features.Chat.ChatRelay>();
        services.AddSingleton<Features.Chat.ChatBus>();
        services.AddHostedService<Features.Chat.ChatBusListener>();
        services.AddSingleton<Features.Chat.ChatLineWriter>();
        services.AddScoped<Features.Chat.LiveChat>();
        services.AddScoped<Features.Mail.Mailboxes>();
        services.AddScoped<Features.Mail.MailIngest>();
        services.AddScoped<Features.Mail.MailFetcher>();
        services.AddHostedService<Features.Mail.MailFetchJob>();
        services.AddScoped<Infrastructure.Outbox.IOutboxChannel, Features.Mail.MailChannel>();
        services.AddScoped<Infrastructure.Outbox.OutboxSender>();
        services.AddHostedService<Infrastructure.Outbox.OutboxJob>();
        services.AddSingleton<Features.Integrations.WebhookSecrets>();
        services.AddSingleton<Features.Integrations.WebhookAddressGuard>();
        services.AddScoped<Features.Integrations.WebhookDeliverer>();
        services.AddScoped<Features.Integrations.Webhooks>();
        services.AddScoped<Features.Integrations.ObjectiveRiskWatch>();
        services.AddHostedService<Features.Integrations.WebhookJob>();
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Commerce.CommerceMetric.ChurnRate());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Commerce.CommerceMetric.RevenueChurn());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Commerce.CommerceMetric.RepeatPurchaseRate());
        services.AddScoped<Features.Strategy.IMetric>(sp => Features.Commerce.CommerceMetric.Revenue(sp.GetRequiredService<Features.Commerce.CustomerFigureKeeper>().Currency));
        foreach (var recurring in new Func<string, TimeProvider, Features.Commerce.CommerceMetric>[]
                 {
                     Features.Commerce.CommerceMetric.Mrr, Features.Commerce.CommerceMetric.Arr, Features.Commerce.CommerceMetric.NetRevenueRetention,
                     Features.Commerce.CommerceMetric.ExpansionMrr, Features.Commerce.CommerceMetric.ContractionMrr,
                 })
        {
            services.AddScoped<Features.Strategy.IMetric>(sp => recurring(sp.GetRequiredService<Features.Commerce.CustomerFigureKeeper>().Currency, sp.GetRequiredService<TimeProvider>()));
        }
        services.AddScoped<Features.Campaigns.Campaigns>();
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Campaigns.CampaignRateMetric.EngagementRate());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Campaigns.CampaignRateMetric.ConversionRate());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Campaigns.CampaignRateMetric.CostPerAcquisition());
        services.AddScoped<Features.Strategy.IMetric>(_ => Features.Campaigns.CampaignRateMetric.ReturnOnSpend());
        services.AddScoped<Features.Strategy.IMetric, Features.Campaigns.CampaignReachMetric>();
        services.AddScoped<Features.Strategy.IMetric, Features.Strategy.ObjectivesAtRiskMetric>();
        services.AddScoped<Features.Strategy.IMetric, Features.Strategy.ObjectiveProgressMetric>();
        services.AddScoped<Features.Insights.DrillDowns>();
        services.AddScoped<Features.Insights.CompanyDashboard>();
        services.AddScoped<Features.Account.Preferences>();
        services.AddScoped<Features.Insights.RoleHomes>();
        services.AddScoped<Features.Insights.Alerts>();
        services.AddHostedService<Features.Insights.AlertJob>();
        services.AddScoped<Features.Insights.ChurnRisk>();
        services.AddScoped<Features.Insights.BusinessReviews>();
        services.AddScoped<Features.Insights.ReviewMail>();
        services.AddScoped<Features.Insights.Dashboards>();
        services.AddHostedService<Features.Insights.ReviewMailJob>();
        services.AddHostedService<Features.Insights.ChurnJob>();
        return builder;
    }

    /// <summary>Migrates, makes sure someone can sign in, and seeds demo data when asked to.</summary>
    public static async Task InitializePsmAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var initializer = scope.ServiceProvider.GetRequiredService<DatabaseInitializer>();
        await initializer.InitializeAsync();

        if (initializer.DemoUsersCreated || app.Environment.IsDevelopment())
        {
            app.Lifetime.ApplicationStarted.Register(() => PrintWelcome(app));
        }
    }

    public static WebApplication UsePsm(this WebApplication app)
    {
        // Behind a balancer, the client's own address keys the public links' rate limit. The headers are trusted from loopback
        // and from the addresses in ForwardedHeaders:KnownProxies (the balancers on other machines, comma-separated).
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto,
        };
        foreach (var proxy in (app.Configuration["ForwardedHeaders:KnownProxies"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            forwarded.KnownProxies.Add(System.Net.IPAddress.TryParse(proxy, out var address) ? address
                : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
        }

        app.UseForwardedHeaders(forwarded);
        app.UseExceptionHandler();
        app.UseChatCors();
        app.Use((context, next) =>
        {
            // Scripts only from PSM itself (no inline script anywhere, the API reference included); nothing of PSM's may be
            // framed, sniffed into another type, or leak its URL to other sites. Styles allow inline: MudBlazor sets style attributes.
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                + "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'";
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            return next(context);
        });
        app.UseWhen(context => ApiPaths.IsApi(context.Request), api => api.UseStatusCodePages());
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        // Pages: an empty 404 (no page at the address) renders the app's own "not found" page inside the layout, at the same
        // address. In a UseWhen branch the re-execution never happened (the browser showed its own error page), so it is
        // registered for every request and switched off for the API, which answers with problem details above.
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.Use((context, next) =>
        {
            if (ApiPaths.IsApi(context.Request) && context.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            return next(context);
        });
        app.UseAuthentication();
        app.UseAccountGate();
        app.UseCurrentUser();
        // Before authorization: a refused call counts against its key too.
        app.UseRateLimiter();
        app.UseSharedRateLimits(app.Configuration);
        app.UseAuthorization();
        app.UseLargeUploadLimits();
        app.UseIdempotencyKeys();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapOpenApi().AllowAnonymous();
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "api/docs";
            options.SwaggerEndpoint("/openapi/v1.json", "PSM API v1");
            options.DocumentTitle = "PSM API reference";
        });

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") })
            .AllowAnonymous();
        app.MapPsmTelemetry();

        // Every endpoint under /api/v1 needs at least its area's read permission; writes add their own (Permissions.Matrix).
        var api = app.MapGroup("/api/v1").RequireAuthorization().CheckInputs();
        RouteGroupBuilder Area(string readPermission) => api.MapGroup("").RequireAuthorization(readPermission);
        Area(Permissions.CustomersRead).MapCustomersApi();
        Area(Permissions.CatalogRead).MapCatalogApi();
        Area(Permissions.StrategyRead).MapStrategyApi();
        Area(Permissions.RoadmapRead).MapRoadmapApi();
        Area(Permissions.RoadmapRead).MapReviewsApi();
        Area(Permissions.RoadmapRead).MapSharingApi();
        Area(Permissions.RoadmapRead).MapReleaseImpactApi();
        Area(Permissions.RoadmapRead).MapTimelineApi();
        app.MapPublicRoadmapApi();
        Features.Alignment.AlignmentApi.MapAlignmentApi(Area(Permissions.AlignmentRead));
        Area(Permissions.AccountSelf).MapAdminApi();
        Area(Permissions.AccountSelf).MapAccountApi();
        Imports.ImportJobsApi.MapImportJobsApi(Area(Permissions.AccountSelf));
        Area(Permissions.FeedbackRead).MapFeedbackApi();
        Area(Permissions.CustomersRead).MapJourneysApi();
        Features.Campaigns.CampaignsApi.MapCampaignsApi(Area(Permissions.CampaignsRead));
        Features.Commerce.CommerceApi.MapCommerceApi(Area(Permissions.CommerceRead));
        Features.ServiceDesk.TicketsApi.MapTicketsApi(Area(Permissions.ServiceRead));
        Features.Mail.MailApi.MapMailApi(Area(Permissions.MailRead));
        Features.HelpCentre.HelpCentreApi.MapHelpCentreApi(Area(Permissions.HelpCentreRead));
        Features.HelpCentre.HelpCentreApi.MapPublicHelpCentreApi(app);
        Features.Chat.ChatApi.MapChatApi(Area(Permissions.ServiceRead));
        Features.Chat.ChatApi.MapPublicChatApi(app);
        Features.Integrations.WebhooksApi.MapWebhooksApi(Area(Permissions.IntegrationsManage));
        Features.Insights.InsightsApi.MapInsightsApi(Area(Permissions.InsightsRead));
        Features.Insights.InsightsApi.MapDashboardsApi(Area(Permissions.InsightsDashboards));
        Features.Insights.InsightsApi.MapPublicDashboardsApi(app);
        Features.Search.SearchApi.MapSearchApi(Area(Permissions.SearchUse));
        Features.Views.SavedViewsApi.MapSavedViewsApi(Area(Permissions.AccountSelf));
        app.MapHub<Features.Chat.ChatHub>("/chat/hub").AllowAnonymous();
        Features.HelpCentre.HelpCentreApi.MapBrandLogo(app);
        if (app.Environment.IsDevelopment() || app.Configuration.GetValue("Demo:Seed", false) || app.Configuration.GetValue("Chat:SamplePage", false))
        {
            app.MapChatSamplePage();
        }
        app.MapPublicSurveyApi();
        Features.Mail.MailApi.MapSurveyMailApi(Area(Permissions.FeedbackRead));
        Features.Mail.MailApi.MapPublicUnsubscribeApi(app);

        app.MapAccountForms();
        app.MapSingleSignOn();
        // PSM sets frame-ancestors itself (none, stricter than Blazor's default self) on every response.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }

    private static void PrintWelcome(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var lines = new List<string> { "", $"PSM is running for {DemoData.CompanyName}: {string.Join(", ", addresses)}" };
        lines.Add($"Demo sign-in (every user's password is {DemoData.Password}):");
        lines.AddRange(DemoData.Users.Select(u => $"  {u.Email,-30} {Roles.Describe(u.Role)}"));
        lines.Add("");
        Console.WriteLine(string.Join(Environment.NewLine, lines));
    }
}

public static class RateLimits
{
    /// <summary>The policy on every link that works without signing in: survey answers and shared roadmaps.</summary>
    public const string PublicLinks = "public-links";

    /// <summary>Reading the public help centre (pages, search, articles): many readers may share one address (an office), so the limit is higher (HelpCentre:ReadsPerMinute, 300).</summary>
    public const string HelpCentreReads = "help-centre-reads";

    /// <summary>
    /// Requests to public links (survey answers, shared roadmaps) are limited per client address
    /// (Surveys:PublicAnswersPerMinute, 30 by default): the links are public, so someone could script them. Past the limit: 429.
    /// </summary>
    public static IServiceCollection AddPublicSurveyRateLimit(this IServiceCollection services, IConfiguration configuration)
    {
        var perMinute = PublicLinksPerMinute(configuration);
        var reads = HelpCentreReadsPerMinute(configuration);
        // Counted in the database instead (RateLimits:Store=Database, several instances): the policies stay, as names the endpoints carry.
        var shared = SharedRateLimits.InDatabase(configuration);
        services.AddScoped<RateWindowStore>();
        var keyPerMinute = Math.Max(1, configuration.GetValue("ApiKeys:RequestsPerMinute", 1200));
        return services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = (context, _) =>
            {
                // Say when to try again: the fixed window's remainder, or the whole window when the limiter does not know.
                var wait = context.Lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var retryAfter)
                    ? retryAfter : TimeSpan.FromMinutes(1);
                return new ValueTask(RejectAsync(context.HttpContext, (int)Math.Ceiling(wait.TotalSeconds), keyPerMinute));
            };
            // Every API key has its own budget (ApiKeys:RequestsPerMinute), by its public prefix; cookie sessions and public links are not counted here.
            options.GlobalLimiter = System.Threading.RateLimiting.PartitionedRateLimiter.Create<HttpContext, string>(context =>
                context.Request.Headers.TryGetValue(Features.Account.ApiKey.HeaderName, out var token)
                && Features.Account.ApiKey.PrefixOf(token.ToString().Trim()) is { } prefix
                    ? System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter("key:" + prefix,
                        _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = keyPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 })
                    : System.Threading.RateLimiting.RateLimitPartition.GetNoLimiter("none"));
            options.AddPolicy(HelpCentreReads, context => shared
                ? System.Threading.RateLimiting.RateLimitPartition.GetNoLimiter("shared")
                : System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = reads, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            options.AddPolicy(PublicLinks, context => shared
                ? System.Threading.RateLimiting.RateLimitPartition.GetNoLimiter("shared")
                : System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                    context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
    }

    /// <summary>Surveys:PublicAnswersPerMinute (30): requests per client address and minute to public links.</summary>
    public static int PublicLinksPerMinute(IConfiguration configuration)
    {
        var perMinute = configuration.GetValue("Surveys:PublicAnswersPerMinute", 30);
        return perMinute >= 1 ? perMinute : throw new InvalidOperationException("Surveys:PublicAnswersPerMinute must be at least 1.");
    }

    /// <summary>HelpCentre:ReadsPerMinute (300): reads of the public help centre per client address and minute.</summary>
    public static int HelpCentreReadsPerMinute(IConfiguration configuration) => Math.Max(1, configuration.GetValue("HelpCentre:ReadsPerMinute", 300));

    /// <summary>The answer past a limit, from either store: Retry-After, and problem details for the API or a page for people.</summary>
    public static Task RejectAsync(HttpContext http, int seconds, int keyPerMinute = 0)
    {
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiPaths.IsApi(http.Request)
            ? http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails
                {
                    Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests.",
                    Detail = http.Request.Headers.ContainsKey(Features.Account.ApiKey.HeaderName) && keyPerMinute > 0
                        ? $"This API key made more than {keyPerMinute} requests in a minute. Try again in {seconds} seconds."
                        : $"This address sent too many requests to public links. Try again in {seconds} seconds.",
                },
            }).AsTask()
            : TooManyRequestsPage(http, seconds);
    }

    /// <summary>What a person sees past the limit: a page of PSM's own that says when to come back, not an empty error.</summary>
    private static Task TooManyRequestsPage(HttpContext http, int seconds)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        return http.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Try again soon · PSM</title><link rel="stylesheet" href="/app.css"></head>
            <body><div class="account-shell"><header class="account-brand"><span class="account-logo">PSM</span><span>Product Service Management</span></header>
            <main class="account-card" data-testid="too-many-requests"><h1>Please wait a moment</h1>
            <p>This link has been opened very often from your network in the last minute. Try again in <strong>{{seconds}} seconds</strong>.</p>
            </main></div></body></html>
            """);
    }
}

/// <summary>Ready means the database answers.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<PsmDb> dbs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            return await db.Database.CanConnectAsync(ct)
                ? HealthCheckResult.Healthy("The database answers.")
                : HealthCheckResult.Unhealthy("The database does not answer.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.");
        }
    }
}

/// <summary>
/// Runs one operation in a scope of its own, acting as the current user. Interactive pages use it
/// for services (Identity's UserManager) that hold a context and must not live as long as a circuit.
/// </summary>
public sealed class OperationScope(IServiceScopeFactory scopes, CurrentUser currentUser)
{
    public async Task<T> RunAsync<TService, T>(Func<TService, Task<T>> operation) where TService : notnull
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentUser>().Set(currentUser.Principal);
        return await operation(scope.ServiceProvider.GetRequiredService<TService>());
    }
}
