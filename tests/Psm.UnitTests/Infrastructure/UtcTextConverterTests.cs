using Psm.Web.Infrastructure.Persistence;

namespace Psm.UnitTests.Infrastructure;

public sealed class UtcTextConverterTests
{
    private static readonly UtcTextConverter Converter = new();

    private static string Store(DateTimeOffset value) => (string)Converter.ConvertToProvider(value)!;

    [Fact]
    public void StoresTextThatSortsInTimeOrderWhateverTheOffset()
    {
        var times = new[]
        {
            new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.FromHours(2)),
            new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 3, 1, 7, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.FromHours(-5)),
            new DateTimeOffset(2026, 3, 1, 8, 0, 0, TimeSpan.Zero).AddTicks(1),
        };

        var byText = times.OrderBy(Store, StringComparer.Ordinal).ToList();

        Assert.Equal(times.OrderBy(t => t.UtcTicks), byText);
    }

    [Fact]
    public void RoundTripsToTheSameInstantInUtc()
    {
        var value = new DateTimeOffset(2026, 7, 4, 18, 30, 15, TimeSpan.FromHours(-4)).AddTicks(1234567);

        var back = (DateTimeOffset)Converter.ConvertFromProvider(Store(value))!;

        Assert.Equal(value, back);
        Assert.Equal(TimeSpan.Zero, back.Offset);
        Assert.Equal("2026-07-04 22:30:15.1234567", Store(value));
    }
}
