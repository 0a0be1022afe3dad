namespace Psm.Web.Infrastructure.Auth;

public static class Roles
{
    public const string Admin = "Admin";
    public const string ProductManager = "ProductManager";
    public const string SupportLead = "SupportLead";
    public const string SupportAgent = "SupportAgent";
    public const string Marketer = "Marketer";
    public const string Stakeholder = "Stakeholder";

    public static readonly IReadOnlyList<string> All = [Admin, ProductManager, SupportLead, SupportAgent, Marketer, Stakeholder];

    public static string Describe(string role) => role switch
    {
        Admin => "Administrator",
        ProductManager => "Product manager",
        SupportLead => "Support lead",
        SupportAgent => "Support agent",
        Marketer => "Marketer",
        Stakeholder => "Stakeholder",
        _ => role,
    };
}
