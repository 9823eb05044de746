package property

type List []Property
