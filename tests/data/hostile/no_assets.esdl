<?xml version='1.0' encoding='UTF-8'?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:esdl="http://www.tno.nl/esdl" name="Generated network of 10 assets" description="Generated heat network (seed 0)" id="e3e70682-c209-4cac-a29f-6fbed82c07cd">
  <instance xsi:type="esdl:Instance" id="f728b4fa-4248-4e3a-8a5d-2f346baa9455" name="Instance">
    <area xsi:type="esdl:Area" id="eb1167b3-67a9-4378-bc65-c1e582e2e662" name="Network"/>
  </instance>
  <energySystemInformation xsi:type="esdl:EnergySystemInformation" id="f7c1bd87-4da5-4709-9471-3d60c8a70639">
    <carriers xsi:type="esdl:Carriers" id="e443df78-9558-467f-9ba9-1faf7a024204">
      <carrier xsi:type="esdl:HeatCommodity" name="HeatSupply" id="23a7711a-8133-4876-b7eb-dcd9e87a1613" supplyTemperature="80.0"/>
      <carrier xsi:type="esdl:HeatCommodity" name="HeatReturn" id="1846d424-c17c-4279-a3c6-612f48268673" returnTemperature="40.0"/>
    </carriers>
    <quantityAndUnits xsi:type="esdl:QuantityAndUnits" id="fcbd04c3-4021-4ef7-8ca5-a5a19e4d6e3c">
      <quantityAndUnit xsi:type="esdl:QuantityAndUnitType" physicalQuantity="POWER" multiplier="MEGA" unit="WATT" description="Power in MW" id="b4862b21-fb97-4435-8856-1712e8e5216a"/>
    </quantityAndUnits>
  </energySystemInformation>
</esdl:EnergySystem>
