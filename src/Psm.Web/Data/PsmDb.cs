using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Features.Account;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Roadmap;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Data;

/// <summary>
/// PSM's one database context. Code everywhere uses this type; the two provider subclasses below
/// exist only so each provider keeps its own migrations (see docs/decisions/ADR-001).
/// </summary>
public class PsmDb(DbContextOptions options) : IdentityDbContext<PsmUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    /// <summary>The Data Protection key ring, when <c>DataProtection:Keys</c> is <c>Database</c> (every instance shares it).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Customer> Customers => Set<Customer>();
    public DbSet<Features.Views.SavedView> SavedViews => Set<Features.Views.SavedView>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Features.HelpCentre.Article> Articles => Set<Features.HelpCentre.Article>();
    public DbSet<Features.HelpCentre.ArticleRevision> ArticleRevisions => Set<Features.HelpCentre.ArticleRevision>();
    public DbSet<Features.HelpCentre.ArticleVote> ArticleVotes => Set<Features.HelpCentre.ArticleVote>();
    public DbSet<Features.HelpCentre.ArticleViews> ArticleViews => Set<Features.HelpCentre.ArticleViews>();
    public DbSet<Features.HelpCentre.HelpCentreSettings> HelpCentreSettings => Set<Features.HelpCentre.HelpCentreSettings>();
    public DbSet<Features.HelpCentre.AssistantConversation> AssistantConversations => Set<Features.HelpCentre.AssistantConversation>();
    public DbSet<Features.HelpCentre.AssistantExchange> AssistantExchanges => Set<Features.HelpCentre.AssistantExchange>();
    public DbSet<Features.Chat.ChatSite> ChatSites => Set<Features.Chat.ChatSite>();
    public DbSet<Features.Chat.ChatAgent> ChatAgents => Set<Features.Chat.ChatAgent>();
    public DbSet<Features.Chat.ChatConversation> ChatConversations => Set<Features.Chat.ChatConversation>();
    public DbSet<Features.Chat.ChatMessage> ChatMessages => Set<Features.Chat.ChatMessage>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<Service> Services => Set<Service>();
    public DbSet<LifecycleChange> LifecycleChanges => Set<LifecycleChange>();
    public DbSet<Objective> Objectives => Set<Objective>();
    public DbSet<KeyResult> KeyResults => Set<KeyResult>();
    public DbSet<CheckIn> CheckIns => Set<CheckIn>();
    public DbSet<Initiative> Initiatives => Set<Initiative>();
    public DbSet<InitiativeObjective> InitiativeObjectives => Set<InitiativeObjective>();
    public DbSet<InitiativeDependency> InitiativeDependencies => Set<InitiativeDependency>();
    public DbSet<ScoringCriterion> ScoringCriteria => Set<ScoringCriterion>();
    public DbSet<CriterionScore> CriterionScores => Set<CriterionScore>();
    public DbSet<ScoreChange> ScoreChanges => Set<ScoreChange>();
    public DbSet<RoadmapReview> RoadmapReviews => Set<RoadmapReview>();
    public DbSet<Retrospective> Retrospectives => Set<Retrospective>();
    public DbSet<ActionItem> ActionItems => Set<ActionItem>();
    public DbSet<RoadmapShare> RoadmapShares => Set<RoadmapShare>();
    public DbSet<InitiativeKeyResult> InitiativeKeyResults => Set<InitiativeKeyResult>();
    public DbSet<Features.Alignment.TypeWeight> TypeWeights => Set<Features.Alignment.TypeWeight>();
    public DbSet<Features.Alignment.Stakeholder> Stakeholders => Set<Features.Alignment.Stakeholder>();
    public DbSet<Features.Alignment.Concern> Concerns => Set<Features.Alignment.Concern>();
    public DbSet<Features.Alignment.Decision> Decisions => Set<Features.Alignment.Decision>();
    public DbSet<CustomerContact> CustomerContacts => Set<CustomerContact>();
    public DbSet<ConsentEvent> ConsentEvents => Set<ConsentEvent>();
    public DbSet<Segment> Segments => Set<Segment>();
    public DbSet<Persona> Personas => Set<Persona>();
    public DbSet<JourneyMap> JourneyMaps => Set<JourneyMap>();
    public DbSet<Features.Feedback.FeedbackItem> Feedback => Set<Features.Feedback.FeedbackItem>();
    public DbSet<Features.Feedback.Theme> Themes => Set<Features.Feedback.Theme>();
    public DbSet<Features.Feedback.FeedbackTheme> FeedbackThemes => Set<Features.Feedback.FeedbackTheme>();
    public DbSet<Features.Feedback.Evidence> Evidence => Set<Features.Feedback.Evidence>();
    public DbSet<Features.Feedback.Survey> Surveys => Set<Features.Feedback.Survey>();
    public DbSet<Features.Feedback.SurveyResponse> SurveyResponses => Set<Features.Feedback.SurveyResponse>();
    public DbSet<Features.Feedback.SurveyInvitation> SurveyInvitations => Set<Features.Feedback.SurveyInvitation>();
    public DbSet<Features.Campaigns.Campaign> Campaigns => Set<Features.Campaigns.Campaign>();
    public DbSet<Features.Campaigns.CampaignResult> CampaignResults => Set<Features.Campaigns.CampaignResult>();
    public DbSet<Features.Commerce.Order> Orders => Set<Features.Commerce.Order>();
    public DbSet<Features.Commerce.Subscription> Subscriptions => Set<Features.Commerce.Subscription>();
    public DbSet<Features.ServiceDesk.Team> Teams => Set<Features.ServiceDesk.Team>();
    public DbSet<Features.ServiceDesk.TeamMember> TeamMembers => Set<Features.ServiceDesk.TeamMember>();
    public DbSet<Features.ServiceDesk.Ticket> Tickets => Set<Features.ServiceDesk.Ticket>();
    public DbSet<Features.ServiceDesk.TicketEvent> TicketEvents => Set<Features.ServiceDesk.TicketEvent>();
    public DbSet<Features.ServiceDesk.ServiceCalendar> ServiceCalendars => Set<Features.ServiceDesk.ServiceCalendar>();
    public DbSet<Features.ServiceDesk.SlaPolicy> SlaPolicies => Set<Features.ServiceDesk.SlaPolicy>();
    public DbSet<Features.Account.Notification> Notifications => Set<Features.Account.Notification>();
    public DbSet<Features.Insights.AlertRule> AlertRules => Set<Features.Insights.AlertRule>();
    public DbSet<Features.Insights.AlertFiring> AlertFirings => Set<Features.Insights.AlertFiring>();
    public DbSet<Features.Insights.ChurnRun> ChurnRuns => Set<Features.Insights.ChurnRun>();
    public DbSet<Features.Insights.ChurnScore> ChurnScores => Set<Features.Insights.ChurnScore>();
    public DbSet<Features.Insights.ReviewSubscription> ReviewSubscriptions => Set<Features.Insights.ReviewSubscription>();
    public DbSet<Features.Insights.ReviewDelivery> ReviewDeliveries => Set<Features.Insights.ReviewDelivery>();
    public DbSet<Features.Insights.CustomDashboard> CustomDashboards => Set<Features.Insights.CustomDashboard>();
    public DbSet<Features.Insights.DashboardChart> DashboardCharts => Set<Features.Insights.DashboardChart>();
    public DbSet<Features.Mail.Mailbox> Mailboxes => Set<Features.Mail.Mailbox>();
    public DbSet<Features.Mail.MailMessage> MailMessages => Set<Features.Mail.MailMessage>();
    public DbSet<Features.Mail.MailAttachment> MailAttachments => Set<Features.Mail.MailAttachment>();
    public DbSet<Features.Mail.QuarantinedMail> QuarantinedMail => Set<Features.Mail.QuarantinedMail>();
    public DbSet<Features.Mail.MailTemplate> MailTemplates => Set<Features.Mail.MailTemplate>();
    public DbSet<Infrastructure.Outbox.OutboxMessage> Outbox => Set<Infrastructure.Outbox.OutboxMessage>();
    public DbSet<Infrastructure.Persistence.Lease> Leases => Set<Infrastructure.Persistence.Lease>();
    public DbSet<Infrastructure.Imports.ImportJob> ImportJobs => Set<Infrastructure.Imports.ImportJob>();
    public DbSet<Features.Integrations.WebhookEvent> WebhookEvents => Set<Features.Integrations.WebhookEvent>();
    public DbSet<Features.Integrations.WebhookSubscription> WebhookSubscriptions => Set<Features.Integrations.WebhookSubscription>();
    public DbSet<Features.Integrations.WebhookCursor> WebhookCursors => Set<Features.Integrations.WebhookCursor>();
    public DbSet<Features.Integrations.WebhookDelivery> WebhookDeliveries => Set<Features.Integrations.WebhookDelivery>();
    public DbSet<Features.Integrations.WebhookAttempt> WebhookAttempts => Set<Features.Integrations.WebhookAttempt>();
    public DbSet<Features.Integrations.ObjectiveRiskState> ObjectiveRiskStates => Set<Features.Integrations.ObjectiveRiskState>();
    public DbSet<Infrastructure.Http.IdempotencyRecord> IdempotencyRecords => Set<Infrastructure.Http.IdempotencyRecord>();
    public DbSet<Infrastructure.Http.RateWindow> RateWindows => Set<Infrastructure.Http.RateWindow>();
    public DbSet<Infrastructure.Rollups.RollupMark> RollupMarks => Set<Infrastructure.Rollups.RollupMark>();
    public DbSet<Infrastructure.Rollups.RollupState> RollupStates => Set<Infrastructure.Rollups.RollupState>();
    public DbSet<Features.ServiceDesk.TicketDayRollup> TicketDayRollups => Set<Features.ServiceDesk.TicketDayRollup>();
    public DbSet<Features.Feedback.AnswerDayRollup> AnswerDayRollups => Set<Features.Feedback.AnswerDayRollup>();

    /// <summary>Set by bulk operations that write their own summary audit entry.</summary>
    public bool SuppressRowAudit { get; set; }

    /// <summary>Set while writing history that is not news (the demo company): no webhook events.</summary>
    public bool SuppressEvents { get; set; }

    /// <summary>Who is acting; the audit log records it. Unset means the system itself.</summary>
    public CurrentUser? CurrentUser { get; set; }

    public bool IsSqlite => Database.ProviderName == "Microsoft.EntityFrameworkCore.Sqlite";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<PsmUser>().ToTable("Users");
        builder.Entity<IdentityRole<Guid>>().ToTable("Roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("UserRoles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("UserClaims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("UserLogins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("UserTokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("RoleClaims");
        builder.ApplyConfigurationsFromAssembly(typeof(PsmDb).Assembly);

        foreach (var entity in builder.Model.GetEntityTypes()
                     .Where(e => typeof(IVersioned).IsAssignableFrom(e.ClrType)))
        {
            builder.Entity(entity.ClrType).Property(nameof(IVersioned.Version)).IsConcurrencyToken();
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configuration)
    {
        if (IsSqlite)
        {
            configuration.Properties<DateTimeOffset>().HaveConversion<UtcTextConverter>();
            configuration.Properties<decimal>().HaveConversion<double>();
        }
    }
}

public sealed class SqlitePsmDb(DbContextOptions options) : PsmDb(options);

public sealed class PostgresPsmDb(DbContextOptions options) : PsmDb(options);
