using System.ComponentModel.DataAnnotations;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Customers;

namespace Psm.UnitTests.Data;

public sealed class DemoDataTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void GeneratesTheSameCompanyEveryTime()
    {
        var first = new DemoData().Customers(Now).ToList();
        var second = new DemoData().Customers(Now).ToList();

        Assert.Equal(first.Select(c => (c.Id, c.Name, c.Email, c.Country, c.Employees, c.CreatedAt)),
            second.Select(c => (c.Id, c.Name, c.Email, c.Country, c.Employees, c.CreatedAt)));
    }

    [Fact]
    public void ScalesTheVolume()
    {
        Assert.Equal(DemoData.CustomersPerScale, new DemoData(1).Customers(Now).Count());
        Assert.Equal(DemoData.CustomersPerScale * 4, new DemoData(4).Customers(Now).Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new DemoData(0));
    }

    [Fact]
    public void GeneratesValidCustomersOverThePastThreeYearsWithTimeOrderedIds()
    {
        var customers = new DemoData(2).Customers(Now).ToList();

        Assert.All(customers, c =>
        {
            var input = CustomerInput.From(c);
            Assert.True(Validator.TryValidateObject(input, new ValidationContext(input), null, validateAllProperties: true), c.Name);
            Assert.Equal(7, c.Id.Version);
            Assert.InRange(c.CreatedAt, Now.AddYears(-3), Now);
        });
        Assert.Equal(customers.Count, customers.Select(c => c.Id).Distinct().Count());
        Assert.Equal(customers.Count, customers.Select(c => c.Name).Distinct().Count());
        Assert.Equal(customers.OrderBy(c => c.CreatedAt).Select(c => c.Id), customers.Select(c => c.Id));
        Assert.True(customers.Select(c => c.Country).Distinct().Count() > 5);
    }

    [Fact]
    public void HasADemoUserForEveryRole()
    {
        Assert.Equal(Psm.Web.Infrastructure.Auth.Roles.All.Order(), DemoData.Users.Select(u => u.Role).Order());
    }
}
