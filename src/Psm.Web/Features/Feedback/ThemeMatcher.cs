namespace Psm.Web.Features.Feedback;

/// <summary>
/// Recognises themes in text by their keywords and phrases: whole words, case-insensitive, a phrase
/// as consecutive words, and a trailing * for any ending ("invoic*" matches "invoice" and "invoicing").
/// </summary>
public sealed class ThemeMatcher
{
    private readonly List<(Guid ThemeId, string[][] Patterns)> themes;

    public ThemeMatcher(IEnumerable<(Guid Id, string Keywords)> themes) =>
        this.themes = themes.Select(t => (t.Id, ParseKeywords(t.Keywords).Select(Pattern).Where(p => p.Length > 0).ToArray())).ToList();

    public IReadOnlyList<Guid> Match(string text)
    {
        var words = Sentiment.Tokens(text);
        return themes.Where(t => t.Patterns.Any(p => Contains(words, p))).Select(t => t.ThemeId).ToList();
    }

    /// <summary>Keywords are stored one per line; commas separate them too.</summary>
    public static List<string> ParseKeywords(string keywords) =>
        keywords.Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static string[] Pattern(string keyword)
    {
        var words = Sentiment.Tokens(keyword);
        if (keyword.EndsWith('*') && words.Count > 0)
        {
            words[^1] += "*";
        }

        return [.. words];
    }

    private static bool Contains(List<string> words, string[] pattern)
    {
        for (var start = 0; start + pattern.Length <= words.Count; start++)
        {
            var all = true;
            for (var j = 0; j < pattern.Length && all; j++)
            {
                var p = pattern[j];
                all = p.EndsWith('*') ? words[start + j].StartsWith(p[..^1], StringComparison.Ordinal) : words[start + j] == p;
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }
}
