namespace Psm.Web.Infrastructure.Auth;

public static class Roles
{
    public const string Admin = "Admin";
    public const string ProductManager = "ProductManager";
    public const string SupportAgent = "SupportAgent";
    public const string Marketer = "Marketer";
    public const string Stakeholder = "Stakeholder";

    public static readonly IReadOnlyList<string> All = [Admin, ProductManager, SupportAgent, Marketer, Stakeholder];

    public static string Describe(string role) => role switch
    {
        Admin => "Administrator",
        ProductManager => "Product manager",
        SupportAgent => "Support agent",
        Marketer => "Marketer",
        Stakeholder => "Stakeholder",
        _ => role,
    };
}

public static class Policies
{
    public const string Admin = "Admin";

    /// <summary>Anyone who may change records (every role but Stakeholder, which reads and comments).</summary>
    public const string Editor = "Editor";

    /// <summary>Re-planning the roadmap (reviews, shared links, scoring model, objective-type weights): admins and product managers.</summary>
    public const string Planner = "Planner";

    /// <summary>Planning campaigns, recording their results, exporting their audiences: admins, marketers and product managers.</summary>
    public const string Marketing = "Marketing";

    /// <summary>Working tickets (opening, replying, notes, status, assignment, teams): admins and support agents.</summary>
    public const string ServiceDesk = "ServiceDesk";
}
