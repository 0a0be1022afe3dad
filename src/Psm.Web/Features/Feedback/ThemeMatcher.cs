using Microsoft.EntityFrameworkCore;

namespace Psm.Web.Features.Feedback;

/// <summary>
/// Recognises themes in text by their keywords and phrases: whole words, case-insensitive, a phrase
/// as consecutive words, and a trailing * for any ending ("invoic*" matches "invoice" and "invoicing").
/// </summary>
public sealed class ThemeMatcher
{
    /// <summary>A pattern's words; Prefix: the keyword ended in * and the word matches any ending.</summary>
    private readonly record struct PatternWord(string Text, bool Prefix);

    private readonly List<(Guid ThemeId, PatternWord[][] Patterns)> themes;

    private readonly Dictionary<Guid, string> names = [];

    public ThemeMatcher(IEnumerable<(Guid Id, string Keywords)> themes) =>
        this.themes = themes.Select(t => (t.Id, ParseKeywords(t.Keywords).Select(Pattern).Where(p => p.Length > 0).ToArray())).ToList();

    /// <summary>A matcher that also knows each theme's name, to describe a match without reading the themes again.</summary>
    public ThemeMatcher(IEnumerable<(Guid Id, string Name, string Keywords)> themes)
        : this(themes.Select(t => (t.Id, t.Keywords)).ToList()) =>
        names = themes.ToDictionary(t => t.Id, t => t.Name);

    public string NameOf(Guid themeId) => names.GetValueOrDefault(themeId, "");

    public IReadOnlyList<Guid> Match(string text)
    {
        var words = Sentiment.Tokens(text);
        return themes.Where(t => t.Patterns.Any(p => Contains(words, p))).Select(t => t.ThemeId).ToList();
    }

    /// <summary>Keywords are stored one per line; commas separate them too.</summary>
    public static List<string> ParseKeywords(string keywords) =>
        keywords.Split(['\n', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(k => k.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    private static PatternWord[] Pattern(string keyword)
    {
        var words = Sentiment.Tokens(keyword);
        var prefixAtEnd = keyword.EndsWith('*');
        return words.Select((w, i) => new PatternWord(w, prefixAtEnd && i == words.Count - 1)).ToArray();
    }

    private static bool Contains(List<string> words, PatternWord[] pattern)
    {
        for (var start = 0; start + pattern.Length <= words.Count; start++)
        {
            var all = true;
            for (var j = 0; j < pattern.Length && all; j++)
            {
                var p = pattern[j];
                all = p.Prefix ? words[start + j].StartsWith(p.Text, StringComparison.Ordinal) : words[start + j] == p.Text;
            }

            if (all)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The theme matcher every arrival path uses, built once and kept: creating one item no longer reads
/// every theme. It is kept per database (per context options, so two PSMs in one process never
/// share one), rebuilt at once when this instance saves a theme, and at most
/// <see cref="Lifetime"/> old when another instance saved it.
/// </summary>
public static class ThemeMatchers
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, Slot> Slots = new();

    private sealed class Slot
    {
        public (ThemeMatcher Matcher, long LoadedAt, long Generation)? Current;
        public long Generation;
    }

    public static async Task<ThemeMatcher> ForAsync(Data.PsmDb db, CancellationToken ct)
    {
        var slot = Slots.GetValue(KeyOf(db), _ => new Slot());
        var now = Environment.TickCount64;
        if (slot.Current is { } current && current.Generation == Interlocked.Read(ref slot.Generation) && now - current.LoadedAt < Lifetime.TotalMilliseconds)
        {
            return current.Matcher;
        }

        var generation = Interlocked.Read(ref slot.Generation);
        var matcher = new ThemeMatcher((await db.Set<Theme>().AsNoTracking().Select(t => new { t.Id, t.Name, t.Keywords }).ToListAsync(ct)).Select(t => (t.Id, t.Name, t.Keywords)));
        slot.Current = (matcher, now, generation);
        return matcher;
    }

    /// <summary>Called after a theme is saved: the next arrival reads the themes again.</summary>
    public static void Forget(Data.PsmDb db) => Interlocked.Increment(ref Slots.GetValue(KeyOf(db), _ => new Slot()).Generation);

    private static object KeyOf(Data.PsmDb db) => Microsoft.EntityFrameworkCore.Infrastructure.AccessorExtensions.GetService<Microsoft.EntityFrameworkCore.Infrastructure.IDbContextOptions>(db);
}
