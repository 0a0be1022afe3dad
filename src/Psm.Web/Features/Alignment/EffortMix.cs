using System.ComponentModel.DataAnnotations;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Psm.Web.Features.Strategy;

namespace Psm.Web.Features.Alignment;

/// <summary>The share of the roadmap's effort leadership wants spent on each type of objective.</summary>
public sealed class TypeWeight
{
    public ObjectiveType Type { get; set; }
    public decimal Percent { get; set; }
}

public sealed record TypeMixRow(ObjectiveType Type, decimal? TargetPercent, double ActualPercent, decimal Effort, double? GapPoints, bool OffTarget);

public sealed class TypeWeightsInput
{
    [Required(ErrorMessage = "Give a percentage for each objective type.")]
    public Dictionary<ObjectiveType, decimal> Weights { get; set; } = [];
}

/// <summary>
/// Where the effort goes, by objective type, against the weights leadership set. Each active
/// initiative's effort is split evenly across the active objectives it serves; effort serving no
/// active objective is left out (it is the off-strategy gap already). A type is off target when
/// its share differs from its weight by more than <see cref="TolerancePoints"/> points.
/// </summary>
public static class EffortMix
{
    public const double TolerancePoints = 10;

    public static IReadOnlyList<TypeMixRow> Of(
        IEnumerable<(decimal? Effort, IReadOnlyList<ObjectiveType> Types)> initiatives, IReadOnlyDictionary<ObjectiveType, decimal> weights)
    {
        var byType = Enum.GetValues<ObjectiveType>().ToDictionary(t => t, _ => 0m);
        foreach (var (effort, types) in initiatives)
        {
            if (effort is not { } e || e <= 0 || types.Count == 0)
            {
                continue;
            }

            foreach (var type in types)
            {
                byType[type] += e / types.Count;
            }
        }

        var total = byType.Values.Sum();
        return byType.Select(kv =>
        {
            var actual = total == 0 ? 0 : (double)(kv.Value / total * 100);
            decimal? target = weights.TryGetValue(kv.Key, out var w) ? w : null;
            double? gap = target is { } t && total > 0 ? Math.Round(actual - (double)t, 1) : null;
            return new TypeMixRow(kv.Key, target, Math.Round(actual, 1), Math.Round(kv.Value, 2), gap, gap is { } g && Math.Abs(g) > TolerancePoints);
        }).ToList();
    }

    public static IEnumerable<(string Field, string Message)> Problems(TypeWeightsInput input)
    {
        if (input.Weights.Values.Any(w => w < 0 || w > 100))
        {
            yield return ("weights", "Each weight is a percentage from 0 to 100.");
        }
        else if (input.Weights.Count > 0 && input.Weights.Values.Sum() != 100)
        {
            yield return ("weights", $"The weights must add up to 100 %; they add up to {input.Weights.Values.Sum():0.#} %.");
        }
    }
}

internal sealed class TypeWeightConfiguration : IEntityTypeConfiguration<TypeWeight>
{
    public void Configure(EntityTypeBuilder<TypeWeight> weight)
    {
        weight.ToTable("ObjectiveTypeWeights");
        weight.HasKey(w => w.Type);
        weight.Property(w => w.Type).HasConversion<string>().HasMaxLength(30);
        weight.Property(w => w.Percent).HasPrecision(5, 1);
    }
}
