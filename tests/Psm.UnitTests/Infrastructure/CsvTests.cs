using Psm.Web.Infrastructure.Http;

namespace Psm.UnitTests.Infrastructure;

public sealed class CsvTests
{
    private static async Task<List<string[]>> ReadAll(string text) => await Csv.ReadAsync(new StringReader(text)).ToListAsync();

    [Fact]
    public async Task ReadsQuotedFieldsWithCommasQuotesAndLineBreaks()
    {
        var records = await ReadAll("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");

        Assert.Equal(2, records.Count);
        Assert.Equal(["x, y", "say \"hi\"", "two\nlines"], records[1]);
    }

    [Fact]
    public async Task KeepsEmptyFieldsAndSkipsBlankLines()
    {
        var records = await ReadAll("a,,c\n\n,b,\nlast");

        Assert.Equal([["a", "", "c"], ["", "b", ""], ["last"]], records);
    }

    [Fact]
    public async Task ReadsRecordsThatSpanTheReadBuffer()
    {
        var longField = new string('x', 40_000);

        var records = await ReadAll($"\"{longField}\",end\nnext,row");

        Assert.Equal(longField, records[0][0]);
        Assert.Equal(["next", "row"], records[1]);
    }

    [Fact]
    public void QuotesWhatNeedsQuotingAndDefusesSpreadsheetFormulas()
    {
        var line = Csv.Line(["plain", "a,b", "say \"hi\"", "=SUM(A1)", "-1", null]);

        Assert.Equal("plain,\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),'-1,", line);
    }
}
