namespace Psm.Web.Features.Feedback;

public sealed record SentimentScore(double Score, SentimentLabel Label);

/// <summary>
/// Lexicon sentiment, written for product and service feedback (docs/sentiment.md has the method
/// and its accuracy on the labelled sample in tests/data). Each known word carries a valence from -3
/// to +3; a negator in the three words before flips and damps it, an intensifier strengthens it, and
/// words after "but" count more, since the clause after "but" usually carries the verdict. The sum
/// is squashed into -1..1 with s / sqrt(s² + 15).
/// </summary>
public static class Sentiment
{
    public const double Threshold = 0.15;

    private static readonly Dictionary<string, double> Valence = Build();

    // Looks a word's stem up without cutting a new string for each suffix tried.
    private static readonly Dictionary<string, double>.AlternateLookup<ReadOnlySpan<char>> ValenceOfSpan = Valence.GetAlternateLookup<ReadOnlySpan<char>>();

    private static readonly string[] Suffixes = ["es", "s", "ed", "d", "ing"];

    private static readonly HashSet<string> Negators =
        ["not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "without", "hardly", "barely", "cannot", "cant",
         "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont", "wouldnt", "couldnt", "shouldnt", "aint", "havent",
         "hasnt", "lack", "lacks", "lacking"];

    private static readonly Dictionary<string, double> Intensifiers = new()
    {
        ["very"] = 1.5, ["really"] = 1.4, ["extremely"] = 1.8, ["so"] = 1.3, ["super"] = 1.5, ["incredibly"] = 1.7,
        ["absolutely"] = 1.6, ["totally"] = 1.5, ["completely"] = 1.5, ["truly"] = 1.4, ["quite"] = 1.2, ["too"] = 1.3,
        ["most"] = 1.3, ["particularly"] = 1.3, ["slightly"] = 0.6, ["somewhat"] = 0.7, ["bit"] = 0.7, ["little"] = 0.8,
    };

    public static SentimentScore Score(string text)
    {
        var words = Tokens(text);
        double sum = 0;
        var afterBut = false;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "but" or "however" or "although" or "though")
            {
                // What came before "but" weighs less than what follows it.
                sum *= 0.6;
                afterBut = true;
                continue;
            }

            if (!TryValence(word, out var value))
            {
                continue;
            }

            for (var back = 1; back <= 3 && i - back >= 0; back++)
            {
                var before = words[i - back];
                if (Negators.Contains(before))
                {
                    value *= -0.6;
                    break;
                }

                if (back == 1 && Intensifiers.TryGetValue(before, out var factor))
                {
                    value *= factor;
                }
            }

            sum += afterBut ? value * 1.3 : value;
        }

        var exclamations = text.Count(c => c == '!');
        if (sum != 0 && exclamations > 0)
        {
            sum += Math.Sign(sum) * Math.Min(exclamations, 3) * 0.3;
        }

        var score = Math.Round(sum / Math.Sqrt((sum * sum) + 15), 3);
        var label = score >= Threshold ? SentimentLabel.Positive : score <= -Threshold ? SentimentLabel.Negative : SentimentLabel.Neutral;
        return new SentimentScore(score, label);
    }

    /// <summary>Lower-case words, apostrophes dropped ("don't" becomes "dont"), everything else a separator.</summary>
    public static List<string> Tokens(string text)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }
            else if (c is '\'' or '’')
            {
                continue;
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    private static bool TryValence(string word, out double value)
    {
        if (Valence.TryGetValue(word, out value))
        {
            return true;
        }

        // Plurals and simple past forms of listed words: "crashes", "delays", "annoyed".
        foreach (var suffix in Suffixes)
        {
            if (word.Length > suffix.Length + 2 && word.EndsWith(suffix, StringComparison.Ordinal)
                && ValenceOfSpan.TryGetValue(word.AsSpan(0, word.Length - suffix.Length), out value))
            {
                return true;
            }
        }

        value = 0;
        return false;
    }

    private static Dictionary<string, double> Build()
    {
        var lexicon = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(double value, string words)
        {
            foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                lexicon[word] = value;
            }
        }

        Add(3, "love loved loves amazing awesome excellent outstanding fantastic superb brilliant perfect wonderful delighted " +
               "exceptional flawless phenomenal stellar");
        Add(2, "great good happy pleased glad impressed helpful fast quick easy intuitive reliable friendly smooth enjoy enjoyed " +
               "recommend recommended nice solid responsive efficient useful valuable satisfied seamless clear thanks thank " +
               "appreciate appreciated best better improved improvement painless simple powerful polite knowledgeable resolved " +
               "fixed works worked stable affordable worth beautiful elegant convenient effortless professional patient");
        Add(1, "ok okay fine decent fair like liked likes handy straightforward quickly promptly sure works well clean " +
               "interesting support supportive accurate consistent");
        Add(-1, "slow confusing confused unclear complicated difficult hard limited missing lacking expensive pricey odd " +
                "awkward clunky outdated dated wait waiting waited delay delayed tedious inconsistent minor issue issues problem " +
                "problems bug bugs glitch glitches lag laggy meh mediocre average");
        Add(-2, "bad poor annoying annoyed frustrating frustrated frustration disappointed disappointing disappointment unhappy " +
                "broken crash crashed crashes crashing fail failed fails failure error errors wrong unreliable unusable rude " +
                "unhelpful useless overpriced worse lost losing lose ignored sluggish painful hate hated cancel cancelling " +
                "complaint complain complained timeout timeouts down outage outages unresponsive buggy mess");
        Add(-3, "terrible awful horrible worst disaster disgusting unacceptable furious angry scam pathetic nightmare " +
                "abysmal atrocious garbage infuriating");
        return lexicon;
    }
}
