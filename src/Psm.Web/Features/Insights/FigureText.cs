using System.Globalization;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Insights;

/// <summary>A figure and its change in the unit people read it in.</summary>
public static class FigureText
{
    private static readonly CultureInfo Culture = CultureInfo.InvariantCulture;

    public static string Format(double? value, string unit) => value is not { } v ? "—" : unit switch
    {
        "%" => string.Create(Culture, $"{v:0.#} %"),
        "points" => string.Create(Culture, $"{v:+0.#;-0.#;0}"),
        "business minutes" => v >= 120 ? string.Create(Culture, $"{v / 60:0.#} h") : string.Create(Culture, $"{v:0} min"),
        "x" => string.Create(Culture, $"{v:0.##}x"),
        "score (1-7)" => string.Create(Culture, $"{v:0.##} of 7"),
        _ when unit.Length == 3 && unit.All(char.IsUpper) => string.Create(Culture, $"{v:#,0} {unit}"),
        _ => string.Create(Culture, $"{v:#,0.##} {unit}"),
    };

    /// <summary>A difference: percentage points for a share, the unit otherwise.</summary>
    public static string Change(double difference, string unit) => unit switch
    {
        "%" => string.Create(Culture, $"{difference:+0.#;-0.#;0} pts"),
        "points" => string.Create(Culture, $"{difference:+0.#;-0.#;0} points"),
        "business minutes" => Math.Abs(difference) >= 120
            ? string.Create(Culture, $"{difference / 60:+0.#;-0.#;0} h")
            : string.Create(Culture, $"{difference:+0;-0;0} min"),
        "x" => string.Create(Culture, $"{difference:+0.##;-0.##;0}x"),
        "score (1-7)" => string.Create(Culture, $"{difference:+0.##;-0.##;0}"),
        _ => string.Create(Culture, $"{difference:+#,0.##;-#,0.##;0} {unit}"),
    };

    /// <summary>Whether a change is for the better, the worse, or neither.</summary>
    public static int Direction(double difference, BetterDirection better) =>
        difference == 0 ? 0 : (difference > 0) == (better == BetterDirection.Up) ? 1 : -1;
}
