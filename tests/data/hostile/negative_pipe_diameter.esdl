<?xml version='1.0' encoding='UTF-8'?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:esdl="http://www.tno.nl/esdl" name="Generated network of 10 assets" description="Generated heat network (seed 0)" id="e3e70682-c209-4cac-a29f-6fbed82c07cd">
  <instance xsi:type="esdl:Instance" id="f728b4fa-4248-4e3a-8a5d-2f346baa9455" name="Instance">
    <area xsi:type="esdl:Area" id="eb1167b3-67a9-4378-bc65-c1e582e2e662" name="Network">
      <asset xsi:type="esdl:Joint" id="5a921187-19c7-4df4-8f4f-f31e78de5857" name="Joint_supply_0001">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.09" lon="5.12"/>
        <port xsi:type="esdl:InPort" id="a3f2c9bf-9c63-46b9-90f2-44556f25e2a2" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="864a7a50-b48d-43f1-967e-55fd642bfa42"/>
        <port xsi:type="esdl:OutPort" id="8d723104-f773-43c1-b458-a748e9bb17bc" name="Out" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="cda8056c-3d15-4ef7-b8c1-962e9148624f ec188efb-d080-466e-952f-233a8c25166a 3dfabc08-935d-4d72-9129-fb7c6288e1a5"/>
      </asset>
      <asset xsi:type="esdl:Joint" id="85776e9a-dd84-439e-b154-5a137a1d5006" name="Joint_return_0001">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.090018" lon="5.1200292"/>
        <port xsi:type="esdl:InPort" id="eb2083e6-ce16-4dba-8ff1-8e0242af9fc3" name="In" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="4d2b9deb-1beb-4711-bd41-e602eece328b cca74147-f6be-4f72-b405-095c8a5006c1 d24bace4-307b-4326-af12-05544a5308cc"/>
        <port xsi:type="esdl:OutPort" id="17e0aa3c-0398-4ca8-aa7e-9d498c778ea6" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="adf20806-e521-4606-b717-6e84d977e993"/>
      </asset>
      <asset xsi:type="esdl:HeatingDemand" id="c8f8e3d0-d329-4a4c-b5d3-2b1666194cb1" name="HeatingDemand_0001" power="414597.7561984653">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.0897472" lon="5.1205827"/>
        <port xsi:type="esdl:InPort" id="9ca5499d-004a-4545-a011-6be5ab0c1681" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="8b0163c1-cd9d-4b7d-a47a-8333f7b0b7d2">
          <profile xsi:type="esdl:InfluxDBProfile" name="HeatingDemand_0001 demand" id="b421eaeb-5340-47ca-baf3-897a3e70f16a" multiplier="0.4145977561984653" startDate="2019-01-01T00:00:00.000000+0000" endDate="2019-12-31T23:00:00.000000+0000" host="127.0.0.1" port="8086" database="energy_profiles" filters="" measurement="WarmingUp default profiles" field="demand1_MW">
            <profileQuantityAndUnit xsi:type="esdl:QuantityAndUnitReference" reference="b4862b21-fb97-4435-8856-1712e8e5216a"/>
          </profile>
        </port>
        <port xsi:type="esdl:OutPort" id="55485822-de1b-472a-93fb-f47a7e5b1e7f" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="ff7b118e-8208-45d6-a005-b86051ef1922"/>
      </asset>
      <asset xsi:type="esdl:Pipe" id="eac1c14f-30e9-45cc-901f-bcccded733e8" name="Pipe_service_supply_0001" innerDiameter="-0.0545" length="48.8" roughness="5e-05" diameter="DN50" related="fe43c49e-1498-48d1-9759-edc372ae2244">
        <geometry xsi:type="esdl:Line" CRS="WGS84">
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.09" lon="5.12"/>
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.0897472" lon="5.1205827"/>
        </geometry>
        <port xsi:type="esdl:InPort" id="cda8056c-3d15-4ef7-b8c1-962e9148624f" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="8d723104-f773-43c1-b458-a748e9bb17bc"/>
        <port xsi:type="esdl:OutPort" id="8b0163c1-cd9d-4b7d-a47a-8333f7b0b7d2" name="Out" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="9ca5499d-004a-4545-a011-6be5ab0c1681"/>
      </asset>
      <asset xsi:type="esdl:Pipe" id="fe43c49e-1498-48d1-9759-edc372ae2244" name="Pipe_service_return_0001" innerDiameter="0.0545" length="48.8" roughness="5e-05" diameter="DN50" related="eac1c14f-30e9-45cc-901f-bcccded733e8">
        <geometry xsi:type="esdl:Line" CRS="WGS84">
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.0897652" lon="5.120612"/>
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.090018" lon="5.1200292"/>
        </geometry>
        <port xsi:type="esdl:InPort" id="ff7b118e-8208-45d6-a005-b86051ef1922" name="In" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="55485822-de1b-472a-93fb-f47a7e5b1e7f"/>
        <port xsi:type="esdl:OutPort" id="4d2b9deb-1beb-4711-bd41-e602eece328b" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="eb2083e6-ce16-4dba-8ff1-8e0242af9fc3"/>
      </asset>
      <asset xsi:type="esdl:HeatingDemand" id="1ff39849-b4e1-457d-8a84-eb038d1fd9b7" name="HeatingDemand_0002" power="189566.4061936997">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.0899287" lon="5.1199852"/>
        <port xsi:type="esdl:InPort" id="ec188efb-d080-466e-952f-233a8c25166a" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="8d723104-f773-43c1-b458-a748e9bb17bc">
          <profile xsi:type="esdl:InfluxDBProfile" name="HeatingDemand_0002 demand" id="49a3e80e-966e-4277-8c17-45a79a6a5f92" multiplier="0.1895664061936997" startDate="2019-01-01T00:00:00.000000+0000" endDate="2019-12-31T23:00:00.000000+0000" host="127.0.0.1" port="8086" database="energy_profiles" filters="" measurement="WarmingUp default profiles" field="demand2_MW">
            <profileQuantityAndUnit xsi:type="esdl:QuantityAndUnitReference" reference="b4862b21-fb97-4435-8856-1712e8e5216a"/>
          </profile>
        </port>
        <port xsi:type="esdl:OutPort" id="cca74147-f6be-4f72-b405-095c8a5006c1" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="eb2083e6-ce16-4dba-8ff1-8e0242af9fc3"/>
      </asset>
      <asset xsi:type="esdl:HeatingDemand" id="cc457821-98a6-416d-9775-336d71eacd05" name="HeatingDemand_0003" power="454477.22958559706">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.0899342" lon="5.1199529"/>
        <port xsi:type="esdl:InPort" id="3dfabc08-935d-4d72-9129-fb7c6288e1a5" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="8d723104-f773-43c1-b458-a748e9bb17bc">
          <profile xsi:type="esdl:InfluxDBProfile" name="HeatingDemand_0003 demand" id="fb3675b8-9cde-43e6-8870-e15c2fcd81b5" multiplier="0.45447722958559705" startDate="2019-01-01T00:00:00.000000+0000" endDate="2019-12-31T23:00:00.000000+0000" host="127.0.0.1" port="8086" database="energy_profiles" filters="" measurement="WarmingUp default profiles" field="demand3_MW">
            <profileQuantityAndUnit xsi:type="esdl:QuantityAndUnitReference" reference="b4862b21-fb97-4435-8856-1712e8e5216a"/>
          </profile>
        </port>
        <port xsi:type="esdl:OutPort" id="d24bace4-307b-4326-af12-05544a5308cc" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="eb2083e6-ce16-4dba-8ff1-8e0242af9fc3"/>
      </asset>
      <asset xsi:type="esdl:GenericProducer" id="11af923d-79fd-4f7c-8293-0b33a81ad477" name="GenericProducer_0001" power="1323000.0">
        <geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.09" lon="5.1243861"/>
        <port xsi:type="esdl:InPort" id="215663ab-c1f2-44b8-adc0-da7a16febaa0" name="In" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="6b5f5241-f323-4a74-9344-749096fd35d0"/>
        <port xsi:type="esdl:OutPort" id="09e469e6-ec62-42c8-a648-ee38e07405eb" name="Out" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="aef9c00b-8a64-41b9-9450-fe4aec4f217b"/>
      </asset>
      <asset xsi:type="esdl:Pipe" id="b306d1a8-e5ee-4c76-948b-2758d7ab7928" name="Pipe_production_supply_0001" innerDiameter="0.1071" length="300.0" roughness="5e-05" diameter="DN100" related="3c49d76f-cfc6-4625-8594-0927468ff53d">
        <geometry xsi:type="esdl:Line" CRS="WGS84">
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.09" lon="5.1243861"/>
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.09" lon="5.12"/>
        </geometry>
        <port xsi:type="esdl:InPort" id="aef9c00b-8a64-41b9-9450-fe4aec4f217b" name="In" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="09e469e6-ec62-42c8-a648-ee38e07405eb"/>
        <port xsi:type="esdl:OutPort" id="864a7a50-b48d-43f1-967e-55fd642bfa42" name="Out" carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" connectedTo="a3f2c9bf-9c63-46b9-90f2-44556f25e2a2"/>
      </asset>
      <asset xsi:type="esdl:Pipe" id="3c49d76f-cfc6-4625-8594-0927468ff53d" name="Pipe_production_return_0001" innerDiameter="0.1071" length="300.0" roughness="5e-05" diameter="DN100" related="b306d1a8-e5ee-4c76-948b-2758d7ab7928">
        <geometry xsi:type="esdl:Line" CRS="WGS84">
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.090018" lon="5.1200292"/>
          <point xsi:type="esdl:Point" CRS="WGS84" lat="52.090018" lon="5.1244154"/>
        </geometry>
        <port xsi:type="esdl:InPort" id="adf20806-e521-4606-b717-6e84d977e993" name="In" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="17e0aa3c-0398-4ca8-aa7e-9d498c778ea6"/>
        <port xsi:type="esdl:OutPort" id="6b5f5241-f323-4a74-9344-749096fd35d0" name="Out" carrier="1846d424-c17c-4279-a3c6-612f48268673" connectedTo="215663ab-c1f2-44b8-adc0-da7a16febaa0"/>
      </asset>
    </area>
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
