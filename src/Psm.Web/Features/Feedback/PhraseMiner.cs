namespace Psm.Web.Features.Feedback;

/// <summary>Finds phrases that recur across texts: the raw material for theme suggestions.</summary>
public static class PhraseMiner
{
    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "for", "with", "from", "by", "about",
        "as", "into", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that", "these", "those", "i",
        "me", "my", "we", "our", "us", "you", "your", "he", "she", "they", "them", "their", "there", "here", "what", "which", "who",
        "when", "where", "why", "how", "all", "any", "some", "can", "could", "would", "should", "will", "just", "do", "does", "did",
        "have", "has", "had", "not", "no", "very", "really", "too", "also", "more", "most", "much", "than", "get", "got", "one",
        "now", "still", "again", "every", "each", "only", "even", "it's", "im", "ive", "dont", "cant", "please", "would", "like",
        "need", "want", "use", "using", "used", "app", "product", "thing", "things", "lot", "bit", "way", "time",
    ];

    /// <summary>
    /// The phrases found in at least <paramref name="minItems"/> texts, two-word phrases first and
    /// single words only when they are not part of a suggested phrase, leaving out what is taken.
    /// </summary>
    public static IReadOnlyList<ThemeSuggestionDto> Suggest(IReadOnlyList<string> texts, IReadOnlySet<string> taken, int minItems = 3, int max = 10)
    {
        var counts = new Dictionary<string, (int Items, List<string> Examples)>();
        foreach (var text in texts)
        {
            var words = Sentiment.Tokens(text);
            var seen = new HashSet<string>();
            for (var i = 0; i < words.Count; i++)
            {
                if (!Useful(words[i]))
                {
                    continue;
                }

                seen.Add(words[i]);
                if (i + 1 < words.Count && Useful(words[i + 1]))
                {
                    seen.Add(words[i] + " " + words[i + 1]);
                }
            }

            foreach (var phrase in seen.Where(p => !taken.Contains(p) && !p.Split(' ').Any(taken.Contains)))
            {
                var entry = counts.TryGetValue(phrase, out var e) ? e : (0, new List<string>());
                if (entry.Item2.Count < 3)
                {
                    entry.Item2.Add(text.Length > 160 ? text[..157] + "..." : text);
                }

                counts[phrase] = (entry.Item1 + 1, entry.Item2);
            }
        }

        var frequent = counts.Where(c => c.Value.Items >= minItems).ToList();
        var phrases = frequent.Where(c => c.Key.Contains(' ')).OrderByDescending(c => c.Value.Items).ThenBy(c => c.Key).Take(max).ToList();
        var singles = frequent.Where(c => !c.Key.Contains(' ') && !phrases.Any(p => p.Key.Split(' ').Contains(c.Key)))
            .OrderByDescending(c => c.Value.Items).ThenBy(c => c.Key);
        return phrases.Concat(singles).OrderByDescending(c => c.Value.Items * (c.Key.Contains(' ') ? 2 : 1)).Take(max)
            .Select(c => new ThemeSuggestionDto(c.Key, c.Value.Items, c.Value.Examples)).ToList();
    }

    private static bool Useful(string word) => word.Length > 2 && !StopWords.Contains(word) && !word.All(char.IsDigit);
}
