namespace Psm.Web.Infrastructure.Auth;

/// <summary>One row of the permission matrix: in an area, an action, and the roles that may take it.</summary>
public sealed record Permission(string Name, string Area, string Action, string Description, IReadOnlyList<string> Roles)
{
    public bool Allows(string role) => Roles.Contains(role);
}

/// <summary>
/// The permission matrix (area x action x role): the one place that says who may do what. Every API
/// endpoint names the permission it needs (a test generated from the OpenAPI document fails the suite
/// for an endpoint that names none, and checks every role against this table), pages show or hide
/// controls by the same names, and docs/permissions.md and the admin page are rendered from it.
/// Least privilege: a role holds what its work needs and nothing more.
/// </summary>
public static class Permissions
{
    public const string CatalogRead = "catalog.read";
    public const string CatalogManage = "catalog.manage";
    public const string StrategyRead = "strategy.read";
    public const string StrategyManage = "strategy.manage";
    public const string RoadmapRead = "roadmap.read";
    public const string RoadmapManage = "roadmap.manage";
    public const string AlignmentRead = "alignment.read";
    public const string AlignmentConcern = "alignment.concern";
    public const string AlignmentManage = "alignment.manage";
    public const string CustomersRead = "customers.read";
    public const string CustomersManage = "customers.manage";
    public const string CustomersConsent = "customers.consent";
    public const string CustomersResearch = "customers.research";
    public const string CustomersExport = "customers.export";
    public const string CustomersPurge = "customers.purge";
    public const string FeedbackRead = "feedback.read";
    public const string FeedbackTriage = "feedback.triage";
    public const string FeedbackThemes = "feedback.themes";
    public const string SurveysManage = "surveys.manage";
    public const string ServiceRead = "service.read";
    public const string ServiceWork = "service.work";
    public const string ServiceConfigure = "service.configure";
    public const string CommerceRead = "commerce.read";
    public const string CommerceManage = "commerce.manage";
    public const string CampaignsRead = "campaigns.read";
    public const string CampaignsManage = "campaigns.manage";
    public const string CampaignsAudience = "campaigns.audience";
    public const string HelpCentreRead = "helpcentre.read";
    public const string HelpCentreWrite = "helpcentre.write";
    public const string HelpCentrePublish = "helpcentre.publish";
    public const string ChatAnswer = "chat.answer";
    public const string ChatConfigure = "chat.configure";
    public const string MailRead = "mail.read";
    public const string MailManage = "mail.manage";
    public const string IntegrationsManage = "integrations.manage";
    public const string InsightsRead = "insights.read";
    public const string InsightsAlerts = "insights.alerts";
    public const string InsightsChurnTrain = "insights.churn_train";
    public const string InsightsDashboards = "insights.dashboards";
    public const string AdminUsers = "admin.users";
    public const string AdminAudit = "admin.audit";
    public const string AdminJobs = "admin.jobs";
    public const string AccountSelf = "account.self";
    public const string SearchUse = "search.use";

    private static readonly string[] Everyone = [.. Auth.Roles.All];
    private static readonly string[] Planners = [Auth.Roles.Admin, Auth.Roles.ProductManager];
    private static readonly string[] Support = [Auth.Roles.Admin, Auth.Roles.SupportLead, Auth.Roles.SupportAgent];

    public static readonly IReadOnlyList<Permission> Matrix =
    [
        new(CatalogRead, "Catalog", "Read", "See products, services, their lifecycle stages and history.", Everyone),
        new(CatalogManage, "Catalog", "Manage", "Add, edit, archive and restore products and services; move lifecycle stages.", Planners),
        new(StrategyRead, "Strategy", "Read", "See objectives, key results, check-ins and the metric registry.", Everyone),
        new(StrategyManage, "Strategy", "Manage", "Create, edit, activate and close objectives; key results and check-ins; objective-type weights.", Planners),
        new(RoadmapRead, "Roadmap", "Read", "See initiatives, the board, timeline, prioritisation, reviews and retrospectives.", Everyone),
        new(RoadmapManage, "Roadmap", "Manage", "Plan, score and schedule initiatives; the scoring model; hold reviews, record retrospectives, share links.", Planners),
        new(AlignmentRead, "Alignment", "Read", "See the alignment score, stakeholders, concerns and the decision log.", Everyone),
        new(AlignmentConcern, "Alignment", "Record a concern", "Record a concern (a stakeholder only in their own name).", Everyone),
        new(AlignmentManage, "Alignment", "Manage", "Add stakeholders, record decisions, mark concerns addressed.", Planners),
        new(CustomersRead, "Customers", "Read", "See customer accounts, contacts, consent, segments, personas and journey maps.", Everyone),
        new(CustomersManage, "Customers", "Manage", "Add, edit, import, archive and restore customers and their contacts.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead, Auth.Roles.SupportAgent]),
        new(CustomersConsent, "Customers", "Record consent", "Record a customer's grant or withdrawal of consent.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead, Auth.Roles.SupportAgent, Auth.Roles.Marketer]),
        new(CustomersResearch, "Customers", "Research", "Define segments, personas and journey maps.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.Marketer]),
        new(CustomersExport, "Customers", "Export personal data", "Export customers with their e-mail addresses (audit-logged).", Planners),
        new(CustomersPurge, "Customers", "Purge", "Delete an archived customer for good.", [Auth.Roles.Admin]),
        new(FeedbackRead, "Feedback", "Read", "See feedback, themes, analysis, surveys and their results.", Everyone),
        new(FeedbackTriage, "Feedback", "Triage", "Record, import, tag, link and close feedback; export it.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead, Auth.Roles.SupportAgent, Auth.Roles.Marketer]),
        new(FeedbackThemes, "Feedback", "Manage themes", "Create and edit themes and apply them to past feedback.", Planners),
        new(SurveysManage, "Feedback", "Run surveys", "Create, close and reopen surveys, start waves, record and import answers.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.Marketer]),
        new(ServiceRead, "Service desk", "Read", "See tickets (internal notes only for support), teams, SLA policies and the service dashboard.", Everyone),
        new(ServiceWork, "Service desk", "Work tickets", "Open, reply to, note, assign, escalate, re-prioritise and resolve tickets.", Support),
        new(ServiceConfigure, "Service desk", "Configure", "Teams and availability, business-hours calendars, SLA policies, running the SLA monitor.",
            [Auth.Roles.Admin, Auth.Roles.SupportLead]),
        new(CommerceRead, "Commerce", "Read", "See orders, subscriptions, churn and revenue.", Everyone),
        new(CommerceManage, "Commerce", "Manage", "Record and import orders and subscriptions; cancel subscriptions.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead, Auth.Roles.SupportAgent]),
        new(CampaignsRead, "Campaigns", "Read", "See campaigns, their fit checks, results and KPIs.", Everyone),
        new(CampaignsManage, "Campaigns", "Manage", "Plan and re-plan campaigns, record results, record reviews.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.Marketer]),
        new(CampaignsAudience, "Campaigns", "Export audience", "Export a campaign's consenting contacts (audit-logged).", [Auth.Roles.Admin, Auth.Roles.Marketer]),
        new(HelpCentreRead, "Help centre", "Read", "See every article (drafts and archived ones too), its revisions, views and what readers said.", Everyone),
        new(HelpCentreWrite, "Help centre", "Write", "Write and change articles (each save is kept as a revision); mark them reviewed.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead, Auth.Roles.SupportAgent]),
        new(HelpCentrePublish, "Help centre", "Publish", "Publish, archive and withdraw articles; the public help centre's name, colour and welcome.",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead]),
        new(ChatAnswer, "Live chat", "Answer chats", "Be available for chat, take waiting chats, write to visitors and end chats (reading chats needs service desk read).",
            [Auth.Roles.Admin, Auth.Roles.SupportLead, Auth.Roles.SupportAgent]),
        new(ChatConfigure, "Live chat", "Configure", "Add and change the websites that embed the chat widget, their allowed origins and team.",
            [Auth.Roles.Admin, Auth.Roles.SupportLead]),
        new(MailRead, "Mail", "Read", "See mailboxes (never their passwords), what they read, the quarantine and the outbox.",
            [Auth.Roles.Admin, Auth.Roles.SupportLead]),
        new(MailManage, "Mail", "Manage", "Add and change mailboxes and their passwords, read them now, retry or drop quarantined mail, retry outgoing mail.",
            [Auth.Roles.Admin]),
        new(IntegrationsManage, "Integrations", "Webhooks", "Add, change, pause and delete webhook, Slack and Teams subscriptions; see their delivery log; send a test; replay a delivery.",
            [Auth.Roles.Admin]),
        new(InsightsRead, "Insights", "Read", "See the company view: KPI cards with targets, trends and tested changes, what needs attention, and the records behind every figure.", Everyone),
        new(InsightsAlerts, "Insights", "Alerts", "Set alert rules on metrics for oneself, check them, and see the alerts they raised (an admin sees and changes everyone's).", Everyone),
        new(InsightsDashboards, "Insights", "Dashboards", "Build dashboards from registry metrics, share them with roles or by a read-only link (everyone reads those shared with their role).", Everyone),
        new(InsightsChurnTrain, "Insights", "Retrain churn model", "Retrain the churn model now (it also retrains on its own every day).",
            [Auth.Roles.Admin, Auth.Roles.ProductManager, Auth.Roles.SupportLead]),
        new(AdminUsers, "Administration", "Users", "Invite users, set roles, deactivate and reactivate accounts, issue reset links.", [Auth.Roles.Admin]),
        new(AdminAudit, "Administration", "Audit log", "Read and export the audit log.", [Auth.Roles.Admin]),
        new(AdminJobs, "Administration", "Background jobs", "See each background job's last run, its outcome and the instance running it.", [Auth.Roles.Admin]),
        new(SearchUse, "Search", "Read", "Search across the areas from the app bar; each kind of result shows only to those who may read its area.", Everyone),
        new(AccountSelf, "Account", "Own account", "One's own profile, API keys, password, MFA and notifications.", Everyone),
    ];

    public static Permission Get(string name) =>
        Matrix.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"No permission '{name}' in the matrix.");
}
