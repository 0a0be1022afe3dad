using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Http;

namespace Psm.UnitTests.Features;

public sealed class CustomerCsvTests
{
    private static async Task<List<CustomerInput>> Parse(string csv) =>
        (await CustomerImport.ParseCsv(new StringReader(csv)).ToListAsync()).Select(r => r.Input).ToList();

    [Fact]
    public async Task ReadsColumnsByHeaderNameInAnyOrderAndCase()
    {
        var rows = await Parse("Country,EMPLOYEES,name,Email\nde,250,Maple Bank,info@maple.example\n");

        var row = Assert.Single(rows);
        Assert.Equal("Maple Bank", row.Name);
        Assert.Equal("info@maple.example", row.Email);
        Assert.Equal("de", row.Country);
        Assert.Equal(250, row.Employees);
        Assert.Equal("", row.Industry);
    }

    [Fact]
    public async Task MarksANonNumericEmployeeCountInvalidRatherThanGuessing()
    {
        var rows = await Parse("name,email,country,employees\nA,a@example.com,DE,lots\nB,b@example.com,DE,\n");

        Assert.Equal(-1, rows[0].Employees);
        Assert.Equal(1, rows[1].Employees);
    }

    [Fact]
    public async Task ReadsTheOtherSystemsColumnsThroughAMapping()
    {
        var rows = await CustomerImport.ParseCsv(new StringReader("Company,Mail,Land,Ref,Value\nMaple,m@maple.example,SE,CRM-7,1200.50\n"),
            new Dictionary<string, string> { ["name"] = "Company", ["email"] = "Mail", ["country"] = "Land", ["externalRef"] = "Ref" })
            .ToListAsync();

        var (row, input) = Assert.Single(rows);
        Assert.Equal(2, row); // the header is row 1
        Assert.Equal("Maple", input.Name);
        Assert.Equal("CRM-7", input.ExternalRef);
    }

    [Fact]
    public async Task RejectsAFileWithoutTheRequiredColumns()
    {
        var error = await Assert.ThrowsAsync<RequestValidationException>(() => Parse("name,phone\nA,123\n"));

        Assert.Contains(error.Errors["map"], m => m.Contains("email"));
    }
}
