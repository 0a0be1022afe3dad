using System.Globalization;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Psm.Web.Infrastructure.Persistence;

/// <summary>
/// SQLite has no timestamp type and EF refuses to compare DateTimeOffset there. Storing UTC as
/// fixed-width text keeps ordering, comparison and SQLite's strftime() grouping correct.
/// </summary>
public sealed class UtcTextConverter() : ValueConverter<DateTimeOffset, string>(
    v => v.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture),
    v => new DateTimeOffset(DateTime.SpecifyKind(
        DateTime.ParseExact(v, Format, CultureInfo.InvariantCulture), DateTimeKind.Utc)))
{
    public const string Format = "yyyy-MM-dd HH:mm:ss.fffffff";
}
