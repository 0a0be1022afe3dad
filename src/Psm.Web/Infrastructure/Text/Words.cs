using System.Globalization;
using System.Text;

namespace Psm.Web.Infrastructure.Text;

/// <summary>Counts in words people write: "1 ticket", "3 tickets", "2 replies", never "ticket(s)".</summary>
public static class Words
{
    /// <summary>The count (grouped thousands) and the noun in the number it takes; the plural is the noun plus "s" unless given.</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        count.ToString("N0", CultureInfo.InvariantCulture) + " " + Noun(count, singular, plural);

    /// <summary>The noun alone, in the number <paramref name="count"/> takes.</summary>
    public static string Noun(long count, string singular, string? plural = null) =>
        count == 1 ? singular : plural ?? singular + "s";

    /// <summary>"was" or "were", to follow a count.</summary>
    public static string WasWere(long count) => count == 1 ? "was" : "were";

    /// <summary>"has" or "have", to follow a count.</summary>
    public static string HasHave(long count) => count == 1 ? "has" : "have";

    // Words a PascalCase split would get wrong.
    private static readonly Dictionary<string, string> Named = new(StringComparer.Ordinal)
    {
        ["InApp"] = "In-app", ["HelpCentre"] = "Help centre", ["StartTls"] = "STARTTLS", ["SslOnConnect"] = "SSL on connect",
        ["Nps"] = "NPS", ["Csat"] = "CSAT", ["Ces"] = "CES", ["Sso"] = "SSO", ["Api"] = "API",
        ["CsatInvitation"] = "CSAT invitation", ["SlaMonitor"] = "SLA monitor", ["Wont"] = "Won't", ["NameDescending"] = "Name, Z to A",
    };

    /// <summary>An enum value as a person writes it: "InProgress" is "In progress", "SurveyComment" is "Survey comment".</summary>
    public static string Of<T>(T value) where T : struct, Enum => Of(value.ToString());

    /// <summary>A nullable enum value in words; nothing is an empty string.</summary>
    public static string Of<T>(T? value) where T : struct, Enum => value is { } v ? Of(v) : "";

    /// <summary>A PascalCase name in sentence case, its first word capitalised and the others in lower case.</summary>
    public static string Of(string name)
    {
        if (Named.TryGetValue(name, out var named))
        {
            return named;
        }

        var text = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (i > 0 && char.IsUpper(c) && !char.IsUpper(name[i - 1]))
            {
                text.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }
}
